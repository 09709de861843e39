using System.Buffers;
using System.Text;
using System.Text.Json;
using TypedBatch.Deferred;
using TypedBatch.Journaling;

namespace TypedBatch.Tests.Deferred;

/// <summary>Deferred mode's options, its line format and its refusals, without a server.</summary>
public sealed class DeferredModeUnitTests
{
    [Fact]
    public void A_custom_id_round_trips_its_run_index_and_fingerprint()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using Utf8JsonWriter writer = DeferredLines.CreateWriter(buffer);
        var fingerprint = new JournalFingerprint(0x0123456789abcdef, 0xfedcba9876543210);

        DeferredLines.Write(buffer, writer, OpenAIBatchLines.Instance, "tb1a2b3c4d", 12_345, fingerprint, "/v1/chat/completions", w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("messages");
            w.WriteStartObject();
            w.WriteString("role", "system");
            w.WriteString("content", "schema goes here");
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("role", "user");
            w.WriteString("content", "héllo \"world\"\n");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        });

        string line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        line.Should().EndWith("}\n").And.StartWith("{\"custom_id\":\"tb1a2b3c4d-12345-fedcba9876543210\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":");
        line.Count(c => c == '\n').Should().Be(1, "a JSON Lines record is one line, whatever its content");
        using (var document = JsonDocument.Parse(line))
        {
            DeferredLines.TryParseCustomId(document.RootElement.GetProperty("custom_id").GetString(), out string run, out int index, out ulong low).Should().BeTrue();
            (run, index, low).Should().Be(("tb1a2b3c4d", 12_345, fingerprint.Low));
        }

        var typed = new CompletionSettings { ResponseFormat = ResponseFormat.ForJsonSchema("answer", "{\"type\":\"object\"}"u8.ToArray()) };
        DeferredLines.ReadBody(buffer.WrittenSpan, OpenAIBatchLines.Instance, body => OpenAIBatchLines.Instance.ReadChatMessages(body, typed, "m", StructuredOutputMode.JsonSchema))
            .Should().Equal(PromptMessage.System("schema goes here"), PromptMessage.User("héllo \"world\"\n"));
        DeferredLines.ReadBody(buffer.WrittenSpan, OpenAIBatchLines.Instance, body => OpenAIBatchLines.Instance.ReadChatMessages(body, typed, "m", StructuredOutputMode.JsonObjectWithSchemaInPrompt)).Should().Equal([PromptMessage.User("héllo \"world\"\n")], "the schema message a schema-in-prompt server gets is added again by the live call");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("no-dashes")]
    [InlineData("run-x-00ff")]
    [InlineData("run-12-zz")]
    [InlineData("-12-00ff")]
    [InlineData("run--5-00ff")]
    public void A_custom_id_that_is_not_ours_is_refused(string? customId)
        => DeferredLines.TryParseCustomId(customId, out _, out _, out _).Should().BeFalse();

    [Fact]
    public void A_shard_keeps_the_last_retryable_error_until_answered_and_releases_everything_once_finished()
    {
        string directory = Directory.CreateTempSubdirectory("typedbatch-shard-").FullName;
        try
        {
            using var shard = new DeferredShard(0, "tb00000000", directory, attached: null);
            for (int index = 0; index < 3; index++)
            {
                shard.Add(10 + index, new JournalFingerprint((ulong)index, 0), Encoding.UTF8.GetBytes($"{{\"line\":{index}}}\n"));
            }

            shard.Seal();
            var error = new BatchError(BatchErrorKind.RateLimited, "slow down");
            shard.SetError(1, error);
            (shard.LastError(0), shard.LastError(1)).Should().Be((null, error));
            shard.MarkDone(1).Should().BeTrue();
            shard.LastError(1).Should().BeNull("an answered request's error is forgotten");
            shard.MarkDone(1).Should().BeFalse("a duplicate line does not count twice");
            shard.Unanswered.Should().Be(2);
            Encoding.UTF8.GetString(shard.ReadLine(2)).Should().Be("{\"line\":2}\n");
            File.Exists(shard.Path).Should().BeTrue();

            shard.Finish();

            shard.State.Should().Be(ShardState.Done);
            File.Exists(shard.Path).Should().BeFalse("a finished shard's spool file is deleted at once, not when the batch ends");
            shard.PositionOf(11).Should().Be(-1, "its per-request bookkeeping is released");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void DeferredOptions_validate_every_value_naming_it()
    {
        new DeferredOptions().Invoking(o => o.Validate()).Should().NotThrow();
        (new DeferredOptions { MaxRequestsPerBatch = 0 }).Invoking(o => o.Validate("x")).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("x.MaxRequestsPerBatch");
        (new DeferredOptions { MaxRequestsPerBatch = 100_001 }).Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.MaxRequestsPerBatch");
        (new DeferredOptions { MaxBytesPerBatch = 1000 }).Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.MaxBytesPerBatch");
        (new DeferredOptions { PollInterval = TimeSpan.Zero }).Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.PollInterval");
        (new DeferredOptions { PollInterval = TimeSpan.FromMinutes(5) }).Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.MaxPollInterval");
        (new DeferredOptions { MaxResubmits = 11 }).Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.MaxResubmits");
        (new DeferredOptions { WorkingDirectory = "/no/such/directory" }).Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithParameterName("options.WorkingDirectory");
        (new BatchOptions { Mode = (BatchMode)5 }).Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.Mode");
        (new BatchOptions { Deferred = new DeferredOptions { MaxResubmits = -1 } }).Invoking(o => o.Validate()).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("options.Deferred.MaxResubmits");
    }

    [Fact]
    public void The_defaults_are_the_documented_ones()
    {
        var options = new DeferredOptions();
        options.MaxRequestsPerBatch.Should().Be(100_000, "Anthropic's limit; OpenAI's own 50,000 applies at OpenAI");
        options.MaxBytesPerBatch.Should().Be(244L * 1024 * 1024, "under Anthropic's 256 MB; OpenAI's own 190 MiB applies at OpenAI");
        options.PollInterval.Should().Be(TimeSpan.FromSeconds(10));
        options.MaxPollInterval.Should().Be(TimeSpan.FromMinutes(2));
        options.MaxResubmits.Should().Be(2);
        options.Deadline.Should().BeNull();
        options.CancelRemoteOnCancellation.Should().BeTrue();
        options.DeleteFiles.Should().BeTrue();
        new BatchOptions().Mode.Should().Be(BatchMode.Live);
    }

    [Fact]
    public async Task A_provider_without_a_Batch_API_is_refused_before_anything_is_sent()
    {
        var provider = new FakeChatProvider();
        using var client = new TypedBatchClient(provider);

        Func<Task> chat = () => client.CreateChatCompletionsBatchAsync([[PromptMessage.User("x")]], new BatchOptions { Mode = BatchMode.Deferred });
        Func<Task> embeddings = () => client.CreateEmbeddingsBatchAsync(["x"], new BatchOptions { Mode = BatchMode.Deferred });

        (await chat.Should().ThrowAsync<NotSupportedException>()).WithMessage("'fake' has no Batch API*");
        await embeddings.Should().ThrowAsync<NotSupportedException>();
        provider.Calls.Should().Be(0);
    }

    [Fact]
    public async Task A_hand_written_implementation_cannot_go_deferred()
    {
        Func<Task> run = () => PromptBatch.RunAsync(new[] { 1, 2 }, (i, _) => Task.FromResult(i), new BatchOptions { Mode = BatchMode.Deferred }, "op", default);
        (await run.Should().ThrowAsync<ArgumentException>()).Which.ParamName.Should().Be("options.Mode");
    }
}
