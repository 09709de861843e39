using System.Text.Json;
using System.Text.Json.Serialization;

namespace TypedBatch.Deferred;

// Wire shapes of OpenAI's Files and Batch APIs (also Azure OpenAI's and compatible servers'). Every response field is
// optional and unknown fields are ignored, as for the chat shapes: a compatible server may leave out what it does not
// track (usage, timestamps, request_counts while validating). Response shapes use `set`, as in WireDtos.cs.

/// <summary>The file object: <c>POST /files</c> answers it.</summary>
internal sealed class FileObjectDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("bytes")]
    public long? Bytes { get; set; }

    [JsonPropertyName("filename")]
    public string? FileName { get; set; }

    [JsonPropertyName("purpose")]
    public string? Purpose { get; set; }

    [JsonPropertyName("status")]
    public string? Status { get; set; }
}

/// <summary><c>DELETE /files/{id}</c> answers <c>{"id","object":"file","deleted":true}</c>.</summary>
internal sealed class FileDeletedDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("deleted")]
    public bool? Deleted { get; set; }
}

/// <summary>The body of <c>POST /batches</c>.</summary>
internal sealed class CreateBatchRequestDto
{
    [JsonPropertyName("input_file_id")]
    public required string InputFileId { get; init; }

    [JsonPropertyName("endpoint")]
    public required string Endpoint { get; init; }

    [JsonPropertyName("completion_window")]
    public required string CompletionWindow { get; init; }

    [JsonPropertyName("metadata")]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>The batch object: create, get and cancel answer it.</summary>
internal sealed class BatchDto
{
    [JsonPropertyName("id")]
    public string? Id { get; set; }

    [JsonPropertyName("status")]
    public string? Status { get; set; }

    [JsonPropertyName("request_counts")]
    public RequestCountsDto? RequestCounts { get; set; }

    [JsonPropertyName("output_file_id")]
    public string? OutputFileId { get; set; }

    [JsonPropertyName("error_file_id")]
    public string? ErrorFileId { get; set; }

    [JsonPropertyName("errors")]
    public BatchErrorsDto? Errors { get; set; }
}

internal sealed class RequestCountsDto
{
    [JsonPropertyName("total")]
    public int? Total { get; set; }

    [JsonPropertyName("completed")]
    public int? Completed { get; set; }

    [JsonPropertyName("failed")]
    public int? Failed { get; set; }
}

/// <summary>A failed batch's <c>errors</c>: <c>{"object":"list","data":[…]}</c>.</summary>
internal sealed class BatchErrorsDto
{
    [JsonPropertyName("data")]
    public List<BatchErrorDataDto>? Data { get; set; }
}

/// <summary>One validation error: <c>{"code","message","param","line"}</c>.</summary>
internal sealed class BatchErrorDataDto
{
    // A string for OpenAI; read as an element so that a server sending a number does not make the whole batch unreadable.
    [JsonPropertyName("code")]
    public JsonElement? Code { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }

    [JsonPropertyName("param")]
    public string? Param { get; set; }

    [JsonPropertyName("line")]
    public int? Line { get; set; }

    public string? CodeText => Code switch
    {
        { ValueKind: JsonValueKind.String } c => c.GetString(),
        { ValueKind: JsonValueKind.Number } c => c.GetRawText(),
        _ => null,
    };
}
