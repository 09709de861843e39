using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TypedBatch.Providers.OpenAI;

namespace TypedBatch.Benchmarks;

/// <summary>The inputs, wire payloads and JSON options every benchmark shares, built once.</summary>
internal static class Payloads
{
    public const string Product = "Contoso Cloud Backup";

    public static readonly DateTime Opened = new(2025, 3, 14, 9, 26, 53, DateTimeKind.Utc);

    public const string TicketText =
        "Hi, since yesterday's update the nightly backup of our file server fails with error 0x80070005 after about " +
        "20 minutes. We are on the Business plan (42 seats). Restores of older snapshots still work. We need this " +
        "fixed before the audit on Friday; please call me at the number on the account.";

    /// <summary>The ResponseBody of tests/TypedBatch.Tests/Recordings/ChatTests_HelloWorldChat.json, as the server sent it.</summary>
    public const string HelloWorldResponse =
        """{"id":"chatcmpl-D8dUjRkJNE7oAraZr6I7Jy8l3f2eU","object":"chat.completion","created":1770950813,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today?","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":9,"total_tokens":20,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"Sanitized"}""";

    /// <summary>The typed answer the model gives for the ticket: the record's JSON, as the message content.</summary>
    public const string TicketAnswer =
        """{"Category":"bug","Priority":"High","Summary":"Nightly file-server backups fail with error 0x80070005 since the last update, and the customer needs a fix before Friday's audit.","Tags":["backup","update","access-denied","business-plan"],"NeedsHuman":true}""";

    public static readonly byte[] HelloWorldResponseUtf8 = Encoding.UTF8.GetBytes(HelloWorldResponse);

    /// <summary>The recorded response with the typed answer as its content (the shape a structured call gets back).</summary>
    public static readonly byte[] TicketResponseUtf8 = Encoding.UTF8.GetBytes(HelloWorldResponse.Replace(
        "\"Hello! How can I assist you today?\"", JsonSerializer.Serialize(TicketAnswer, WireJsonContext.Default.String), StringComparison.Ordinal));

    /// <summary>Parse options exactly as the generated client builds them from its JsonContext.</summary>
    public static readonly JsonSerializerOptions TypedContextOptions =
        StructuredOutput.CreateOptions(BenchJson.Default, new JsonStringEnumConverter<Priority>());

    /// <summary>Parse options as the generated client builds them without a JsonContext.</summary>
    public static readonly JsonSerializerOptions TypedReflectionOptions = StructuredOutput.CreateReflectionOptions();

    /// <summary>The wire options of <see cref="WireJsonContext"/>, resolved by reflection instead of generated metadata.</summary>
    public static readonly JsonSerializerOptions WireReflectionOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static readonly JsonTypeInfo<ChatCompletionRequestDto> RequestReflectionInfo =
        (JsonTypeInfo<ChatCompletionRequestDto>)WireReflectionOptions.GetTypeInfo(typeof(ChatCompletionRequestDto));

    public static readonly JsonTypeInfo<ChatCompletionResponseDto> ResponseReflectionInfo =
        (JsonTypeInfo<ChatCompletionResponseDto>)WireReflectionOptions.GetTypeInfo(typeof(ChatCompletionResponseDto));

    /// <summary>
    /// The request exactly as the generated client hands it to the provider (settings with the model resolved and the
    /// compile-time schema as <c>response_format</c>), captured from a call through <see cref="TypedBatchClient"/>.
    /// </summary>
    public static ChatRequest CaptureRequest()
    {
        var provider = new CapturingProvider(TicketAnswer);
        using var client = new TypedBatchClient(provider);
        TicketSummary summary = client.For<ITicketTriage>().SummarizeAsync(Product, Opened, TicketText).GetAwaiter().GetResult();
        if (summary.Priority != Priority.High || provider.Request is null)
        {
            throw new InvalidOperationException("The capture call did not go through the provider.");
        }

        return provider.Request;
    }

    /// <summary>The wire DTO the provider builds, by the provider's own mapping (json_schema mode).</summary>
    public static ChatCompletionRequestDto ToDto(ChatRequest request)
        => OpenAICompatibleProvider.ToWire(request, request.Model, StructuredOutputMode.JsonSchema);

    /// <summary>Checks that every baseline produces what the library produces, so the ratios compare equal work.</summary>
    public static void Verify()
    {
        PromptMessage[] generated = ITicketTriage.RenderSummarize(Product, Opened, TicketText);
        PromptMessage[] dictionary = RuntimeTemplate.RenderWithDictionary(Product, Opened, TicketText);
        PromptMessage[] format = RuntimeTemplate.RenderWithStringFormat(Product, Opened, TicketText);
        if (!generated.SequenceEqual(dictionary) || !generated.SequenceEqual(format))
        {
            throw new InvalidOperationException("The baseline renderings differ from the generated one.");
        }

        ChatRequest request = CaptureRequest();
        if (!request.Messages.SequenceEqual(generated))
        {
            throw new InvalidOperationException("The client sent other messages than RenderSummarize returns.");
        }

        ChatCompletionRequestDto dto = ToDto(request);
        byte[] sourceGenerated = JsonSerializer.SerializeToUtf8Bytes(dto, WireJsonContext.Default.ChatCompletionRequestDto);
        byte[] reflection = JsonSerializer.SerializeToUtf8Bytes(dto, RequestReflectionInfo);
        if (!sourceGenerated.AsSpan().SequenceEqual(reflection))
        {
            throw new InvalidOperationException("Reflection and source-generated request JSON differ.");
        }

        TicketSummary viaContext = StructuredOutput.Parse<TicketSummary>(TicketAnswer, TypedContextOptions, wrapped: false);
        TicketSummary viaReflection = StructuredOutput.Parse<TicketSummary>(TicketAnswer, TypedReflectionOptions, wrapped: false);
        if (viaContext.Summary != viaReflection.Summary || !viaContext.Tags.SequenceEqual(viaReflection.Tags))
        {
            throw new InvalidOperationException("The typed parses differ.");
        }

        Console.WriteLine($"Verified: request body {sourceGenerated.Length} bytes, recorded response {HelloWorldResponseUtf8.Length} bytes, typed response {TicketResponseUtf8.Length} bytes.");
        Console.WriteLine(Encoding.UTF8.GetString(sourceGenerated));

        // How the wire encoder writes non-Latin text: the default JavaScriptEncoder escapes every non-ASCII character.
        string chinese = Texts.Make(TextKind.Chinese, 1024, seed: 7);
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(
            new ChatCompletionRequestDto { Model = "gpt-4o", Messages = [new WireMessage { Role = "user", Content = chinese }] },
            WireJsonContext.Default.ChatCompletionRequestDto);
        Console.WriteLine($"1,024 Chinese characters ({Encoding.UTF8.GetByteCount(chinese):N0} bytes of UTF-8) make a request body of {body.Length:N0} bytes.");
    }


    private sealed class CapturingProvider(string answer) : IChatProvider
    {
        public ChatRequest? Request { get; private set; }

        public string Name => "capture";

        public Task<ChatCompletion> CompleteAsync(ChatRequest request, CancellationToken cancellationToken = default)
        {
            Request = request;
            return Task.FromResult(new ChatCompletion { Content = answer, FinishReason = "stop", Model = request.Model, Provider = Name });
        }

        public Task<EmbeddingResponse> EmbedAsync(EmbeddingRequest request, CancellationToken cancellationToken = default)
            => throw new NotSupportedException();
    }
}
