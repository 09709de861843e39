namespace TypedBatch;

/// <summary>
/// How a chat completion is generated. Every value is optional; what is left <see langword="null"/>
/// falls back to the client's defaults (<c>TypedBatchOptions.Model</c>) or the provider's.
/// </summary>
public sealed record CompletionSettings
{
    /// <summary>The model, for example <c>gpt-4o-mini</c>.</summary>
    public string? Model { get; init; }

    /// <summary>Sampling temperature, 0 to 2.</summary>
    public double? Temperature { get; init; }

    /// <summary>Upper bound on generated tokens, at least 1 (sent as <c>max_tokens</c>, which local servers also read).</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Nucleus sampling, greater than 0 and at most 1.</summary>
    public double? TopP { get; init; }

    /// <summary>Up to four sequences where generation stops.</summary>
    public IReadOnlyList<string>? Stop { get; init; }

    /// <summary>Seed for best-effort deterministic sampling.</summary>
    public long? Seed { get; init; }

    /// <summary>The shape the answer must take; free text when <see langword="null"/>.</summary>
    public ResponseFormat? ResponseFormat { get; init; }

    /// <summary>Throws when a value is outside what the wire accepts, naming it.</summary>
    /// <param name="paramName">The argument name to report.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    /// <exception cref="ArgumentException">The model is blank or a stop sequence is invalid.</exception>
    public void Validate(string paramName = "settings")
    {
        if (Model is not null && string.IsNullOrWhiteSpace(Model))
        {
            throw new ArgumentException("Model must not be blank.", $"{paramName}.{nameof(Model)}");
        }

        Guard.Temperature(Temperature, $"{paramName}.{nameof(Temperature)}");
        Guard.MaxTokens(MaxTokens, $"{paramName}.{nameof(MaxTokens)}");
        if (TopP is { } topP && (double.IsNaN(topP) || topP <= 0 || topP > 1))
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(TopP)}", topP, "TopP must be greater than 0 and at most 1.");
        }

        if (Stop is { } stop)
        {
            if (stop.Count > 4)
            {
                throw new ArgumentException($"At most 4 stop sequences are allowed; got {stop.Count}.", $"{paramName}.{nameof(Stop)}");
            }

            for (int i = 0; i < stop.Count; i++)
            {
                if (string.IsNullOrEmpty(stop[i]))
                {
                    throw new ArgumentException($"Stop sequence {i} is null or empty.", $"{paramName}.{nameof(Stop)}");
                }
            }
        }
    }
}
