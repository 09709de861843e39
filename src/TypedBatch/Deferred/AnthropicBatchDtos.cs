using System.Text.Json;
using System.Text.Json.Serialization;

namespace TypedBatch.Deferred;

/// <summary>
/// A Message Batch: <c>{id, type:"message_batch", processing_status: in_progress | canceling | ended,
/// request_counts{processing, succeeded, errored, canceled, expired}, results_url, created_at, expires_at, ended_at,
/// cancel_initiated_at, archived_at}</c>.
/// </summary>
internal sealed class MessageBatchDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("processing_status")]
    public string? ProcessingStatus { get; set; }

    [JsonPropertyName("request_counts")]
    public MessageBatchCountsDto? RequestCounts { get; set; }

    [JsonPropertyName("results_url")]
    public string? ResultsUrl { get; set; }

    [JsonPropertyName("cancel_initiated_at")]
    public string? CancelInitiatedAt { get; set; }
}

internal sealed class MessageBatchCountsDto
{
    [JsonPropertyName("processing")]
    public int Processing { get; set; }

    [JsonPropertyName("succeeded")]
    public int Succeeded { get; set; }

    [JsonPropertyName("errored")]
    public int Errored { get; set; }

    [JsonPropertyName("canceled")]
    public int Canceled { get; set; }

    [JsonPropertyName("expired")]
    public int Expired { get; set; }
}

/// <summary>The answer to deleting a Message Batch: <c>{id, type:"message_batch_deleted"}</c>.</summary>
internal sealed class MessageBatchDeletedDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }
}

/// <summary>A results line: <c>{custom_id, result:{type: succeeded, message} | {type: errored, error} | {type: canceled} | {type: expired}}</c>.</summary>
internal sealed class MessageBatchResultLineDto
{
    [JsonPropertyName("custom_id")]
    public string? CustomId { get; set; }

    [JsonPropertyName("result")]
    public MessageBatchResultDto? Result { get; set; }
}

internal sealed class MessageBatchResultDto
{
    [JsonPropertyName("type")]
    public string? Type { get; set; }

    [JsonPropertyName("message")]
    public JsonElement? Message { get; set; }

    [JsonPropertyName("error")]
    public JsonElement? Error { get; set; }
}

/// <summary>Source-generated JSON for the Message Batches API's own objects (the messages inside are <see cref="Providers.Anthropic.AnthropicJsonContext"/>'s).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(MessageBatchDto))]
[JsonSerializable(typeof(MessageBatchDeletedDto))]
[JsonSerializable(typeof(MessageBatchResultLineDto))]
internal sealed partial class AnthropicBatchJsonContext : JsonSerializerContext;
