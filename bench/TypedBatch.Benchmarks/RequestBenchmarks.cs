using System.Text.Json;
using BenchmarkDotNet.Attributes;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Benchmarks;

// One custom job for every class: 3 warmups and 10 measured iterations in one process, so the suite runs in minutes.

/// <summary>Rendering one item's messages: the generated RenderX against run-time templates.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class Render
{
    // Instance fields, so nothing is a JIT-time constant.
    private readonly string _product = Payloads.Product;
    private readonly DateTime _opened = Payloads.Opened;
    private readonly string _text = Payloads.TicketText;

    [Benchmark(Baseline = true, Description = "Runtime template (Dictionary)")]
    public PromptMessage[] RuntimeDictionary() => RuntimeTemplate.RenderWithDictionary(_product, _opened, _text);

    [Benchmark(Description = "string.Format")]
    public PromptMessage[] StringFormat() => RuntimeTemplate.RenderWithStringFormat(_product, _opened, _text);

    [Benchmark(Description = "Generated RenderSummarize")]
    public PromptMessage[] Generated() => ITicketTriage.RenderSummarize(_product, _opened, _text);
}

/// <summary>The typed request (2 messages, temperature, max_tokens, strict json_schema) to UTF-8 JSON.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class SerializeRequest
{
    private ChatCompletionRequestDto _dto = null!;

    [GlobalSetup]
    public void Setup() => _dto = Payloads.ToDto(Payloads.CaptureRequest());

    [Benchmark(Baseline = true, Description = "Reflection options")]
    public byte[] Reflection() => JsonSerializer.SerializeToUtf8Bytes(_dto, Payloads.RequestReflectionInfo);

    [Benchmark(Description = "WireJsonContext (source-generated)")]
    public byte[] SourceGenerated() => JsonSerializer.SerializeToUtf8Bytes(_dto, WireJsonContext.Default.ChatCompletionRequestDto);
}

/// <summary>The recorded chat completion response (HelloWorldChat, 619 bytes) to the response DTO.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ParseResponse
{
    private readonly byte[] _body = Payloads.HelloWorldResponseUtf8;

    [Benchmark(Baseline = true, Description = "Reflection options")]
    public object? Reflection() => JsonSerializer.Deserialize(_body, Payloads.ResponseReflectionInfo);

    [Benchmark(Description = "WireJsonContext (source-generated)")]
    public object? SourceGenerated() => JsonSerializer.Deserialize(_body, WireJsonContext.Default.ChatCompletionResponseDto);

    [Benchmark(Description = "Same DTOs with set, not init (copy)")]
    public object? SourceGeneratedSettable() => JsonSerializer.Deserialize(_body, SettableWireContext.Default.SettableResponseDto);

    /// <summary>The extra Utf8JsonReader pass ResponseValidationHandler makes over every 2xx JSON body.</summary>
    [Benchmark(Description = "ResponseValidationHandler reader pass")]
    public long ValidationPass()
    {
        var reader = new Utf8JsonReader(_body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        while (reader.Read())
        {
        }

        return reader.BytesConsumed;
    }
}

/// <summary>The answer's JSON to the record, through StructuredOutput.Parse as generated code calls it.</summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class ParseTypedResult
{
    private readonly string _answer = Payloads.TicketAnswer;

    [Benchmark(Baseline = true, Description = "CreateReflectionOptions()")]
    public TicketSummary Reflection() => StructuredOutput.Parse<TicketSummary>(StructuredOutput.ExtractJson(_answer), Payloads.TypedReflectionOptions, wrapped: false);

    [Benchmark(Description = "CreateOptions(JsonContext)")]
    public TicketSummary SourceGenerated() => StructuredOutput.Parse<TicketSummary>(StructuredOutput.ExtractJson(_answer), Payloads.TypedContextOptions, wrapped: false);
}

/// <summary>
/// One item, everything but the network: render, map to the wire DTO, serialize, parse the response, parse the
/// typed answer. The baseline does the same with a run-time template and reflection JSON throughout.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class EndToEnd
{
    private CompletionSettings _settings = null!;

    [GlobalSetup]
    public void Setup() => _settings = Payloads.CaptureRequest().Settings;

    [Benchmark(Baseline = true, Description = "Runtime template + reflection JSON")]
    public TicketSummary Baseline()
    {
        PromptMessage[] messages = RuntimeTemplate.RenderWithDictionary(Payloads.Product, Payloads.Opened, Payloads.TicketText);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(Payloads.ToDto(new ChatRequest(messages, _settings)), Payloads.RequestReflectionInfo);
        GC.KeepAlive(body);
        ChatCompletionResponseDto response = JsonSerializer.Deserialize(Payloads.TicketResponseUtf8, Payloads.ResponseReflectionInfo)!;
        string content = response.Choices![0].Message!.Content!;
        return StructuredOutput.Parse<TicketSummary>(StructuredOutput.ExtractJson(content), Payloads.TypedReflectionOptions, wrapped: false);
    }

    [Benchmark(Description = "TypedBatch (generated render + contexts)")]
    public TicketSummary TypedBatch()
    {
        PromptMessage[] messages = ITicketTriage.RenderSummarize(Payloads.Product, Payloads.Opened, Payloads.TicketText);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(Payloads.ToDto(new ChatRequest(messages, _settings)), WireJsonContext.Default.ChatCompletionRequestDto);
        GC.KeepAlive(body);
        ChatCompletionResponseDto response = JsonSerializer.Deserialize(Payloads.TicketResponseUtf8, WireJsonContext.Default.ChatCompletionResponseDto)!;
        string content = response.Choices![0].Message!.Content!;
        return StructuredOutput.Parse<TicketSummary>(StructuredOutput.ExtractJson(content), Payloads.TypedContextOptions, wrapped: false);
    }
}
