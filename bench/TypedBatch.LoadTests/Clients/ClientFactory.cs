namespace TypedBatch.LoadTests.Clients;

/// <summary>The clients by command-line name.</summary>
internal static class ClientFactory
{
    public const string TypedBatch = "typedbatch";
    public const string TypedBatchConfigured = "typedbatch-configured";
    public const string OpenAISdk = "openai";
    public const string Meai = "meai";
    public const string Raw = "raw";
    public const string TypedBatchUntyped = "typedbatch-untyped";
    public const string TypedBatchNoRetries = "typedbatch-noretries";
    public const string TypedBatchNoHttpLogging = "typedbatch-nohttplogging";
    public const string TypedBatchTelemetry = "typedbatch-otel";
    public const string TypedBatchNoHedging = "typedbatch-nohedge";
    public const string MeaiTelemetry = "meai-otel";
    public const string TypedBatchStreamed = "typedbatch-stream";
    public const string OpenAISdkStreamed = "openai-stream";
    public const string TypedBatchChatClient = "typedbatch-chatclient";

    /// <summary>The source and meter name the <see cref="MeaiTelemetry"/> client's <c>UseOpenTelemetry</c> uses.</summary>
    public const string MeaiTelemetrySource = "TypedBatch.LoadTests.Meai";

    /// <summary>Creates the client <paramref name="kind"/>; <paramref name="limits"/> is used only by <see cref="TypedBatchConfigured"/>.</summary>
    public static IClientRunner Create(string kind, Uri baseUrl, string model, int concurrency, (int? Rpm, int? Tpm) limits = default) => kind switch
    {
        TypedBatch => new TypedBatchRunner("TypedBatch (limits learned)", baseUrl, model, concurrency),
        TypedBatchConfigured => new TypedBatchRunner("TypedBatch (limits configured)", baseUrl, model, concurrency, limits.Rpm, limits.Tpm),
        OpenAISdk => new OpenAISdkRunner(baseUrl, model, concurrency),
        Meai => new MeaiRunner(baseUrl, model, concurrency),
        Raw => new RawHttpRunner(baseUrl, model, concurrency),
        TypedBatchUntyped => new TypedBatchRunner("TypedBatch untyped batch API", baseUrl, model, concurrency, variant: TypedBatchVariant.Untyped),
        TypedBatchNoRetries => new TypedBatchRunner("TypedBatch, MaxRetries = 0", baseUrl, model, concurrency, variant: TypedBatchVariant.NoRetries),
        TypedBatchNoHttpLogging => new TypedBatchRunner("TypedBatch, no HttpClientFactory loggers", baseUrl, model, concurrency, variant: TypedBatchVariant.NoHttpClientLogging),
        TypedBatchNoHedging => new TypedBatchRunner("TypedBatch, hedging off", baseUrl, model, concurrency, variant: TypedBatchVariant.NoHedging),
        TypedBatchTelemetry => new TelemetryRunner(new TypedBatchRunner("TypedBatch (limits learned)", baseUrl, model, concurrency), global::TypedBatch.TypedBatchTelemetry.Name),
        TypedBatchStreamed => new TypedBatchRunner("TypedBatch, streamed batch", baseUrl, model, concurrency, variant: TypedBatchVariant.Streamed),
        OpenAISdkStreamed => new OpenAISdkRunner(baseUrl, model, concurrency, streamed: true),
        TypedBatchChatClient => new TypedBatchRunner("TypedBatch over M.E.AI IChatClient (UseChatClient)", baseUrl, model, concurrency, variant: TypedBatchVariant.ChatClient),
        MeaiTelemetry => new TelemetryRunner(new MeaiRunner(baseUrl, model, concurrency, MeaiTelemetrySource), MeaiTelemetrySource),
        _ => throw new ArgumentException($"Unknown client '{kind}'; use {TypedBatch}, {TypedBatchConfigured}, {OpenAISdk}, {Meai}, {Raw}, {TypedBatchUntyped}, {TypedBatchNoRetries}, {TypedBatchNoHttpLogging}, {TypedBatchNoHedging}, {TypedBatchTelemetry}, {MeaiTelemetry}, {TypedBatchStreamed}, {OpenAISdkStreamed} or {TypedBatchChatClient}.", nameof(kind)),
    };
}
