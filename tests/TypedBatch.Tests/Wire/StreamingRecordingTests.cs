using System.Text.Json;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Tests.Wire;

/// <summary>
/// What the recorded stream ends with, which streaming relies on (StreamingTests replays it through the provider):
/// with <c>stream_options.include_usage</c> the last chunk before <c>[DONE]</c> has no choices and the full usage.
/// </summary>
public sealed class StreamingRecordingTests
{
    [Fact]
    public void Recorded_stream_ends_with_a_usage_chunk_our_usage_dto_reads()
    {
        var recorded = RecordedExchange.Load("ChatTests_StreamingStructuredRefusalWorks");
        var lines = recorded.ResponseBody!.Value.EnumerateArray().Select(line => line.GetString()!).ToList();
        lines.Should().AllSatisfy(line => line.Should().StartWith("data: ").And.EndWith("\n\n"));
        var events = lines.Select(line => line["data: ".Length..^2]).ToList();

        events[^1].Should().Be("[DONE]");
        using var last = JsonDocument.Parse(events[^2]);
        last.RootElement.GetProperty("choices").GetArrayLength().Should().Be(0);
        events.SkipLast(2).Should().AllSatisfy(chunk =>
        {
            using var earlier = JsonDocument.Parse(chunk);
            earlier.RootElement.GetProperty("usage").ValueKind.Should().Be(JsonValueKind.Null);
        });

        ChatCompletionResponseDto usageChunk = JsonSerializer.Deserialize(events[^2], WireJsonContext.Default.ChatCompletionResponseDto)!;
        usageChunk.Usage!.ToTokenUsage().Should().Be(new TokenUsage(26, 10, 36, 0, 0));
    }
}
