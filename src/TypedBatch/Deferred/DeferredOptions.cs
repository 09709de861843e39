namespace TypedBatch;

/// <summary>Options of a <see cref="BatchMode.Deferred"/> batch (<see cref="BatchOptions.Deferred"/>).</summary>
public sealed record DeferredOptions
{
    /// <summary>
    /// The default of <see cref="MaxBytesPerBatch"/>: 244 MiB, under Anthropic's 256 MB Message Batch limit. The
    /// provider's own limit applies as well: OpenAI's input files are cut at 190 MiB, under its 200 MB.
    /// </summary>
    public const long DefaultMaxBytesPerBatch = 244L * 1024 * 1024;

    /// <summary>
    /// Most requests in one remote batch; larger batches are split. At most 100,000, the default; the provider's own
    /// limit applies as well (50,000 requests per file at OpenAI, 100,000 per Message Batch at Anthropic).
    /// </summary>
    public int MaxRequestsPerBatch { get; init; } = 100_000;

    /// <summary>
    /// Largest input of one remote batch (an uploaded file, a Message Batch's requests), in bytes; larger batches are
    /// split. Defaults to <see cref="DefaultMaxBytesPerBatch"/>; the provider's own limit applies as well.
    /// </summary>
    public long MaxBytesPerBatch { get; init; } = DefaultMaxBytesPerBatch;

    /// <summary>The first wait between two polls of the remote batches (default 10 s); it doubles while nothing finishes.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two polls (default 2 minutes).</summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Follow-up batches for the requests a remote batch did not answer (a retryable error status, <c>batch_expired</c>, a
    /// failed or cancelled batch), 0 to 10; default 2. Requests still unanswered then fail with
    /// <see cref="BatchErrorKind.Expired"/> or the provider's error.
    /// </summary>
    public int MaxResubmits { get; init; } = 2;

    /// <summary>
    /// When set: remote batches not finished by then are cancelled, what they answered is read, and the rest is sent
    /// live through the normal runner (rate limits and all). <see langword="null"/> (the default) waits for the provider's
    /// completion window.
    /// </summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>Whether cancelling the call cancels its remote batches (the default); otherwise they run on, unread.</summary>
    public bool CancelRemoteOnCancellation { get; init; } = true;

    /// <summary>Whether the uploaded input files and the output and error files are deleted once read (the default).</summary>
    public bool DeleteFiles { get; init; } = true;

    /// <summary>
    /// Where the JSON Lines files are written before upload; <see langword="null"/> (the default) means the system's
    /// temporary directory. The files are deleted when the batch ends.
    /// </summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Throws when a value is out of range, naming it.</summary>
    /// <param name="paramName">The argument name to report.</param>
    public void Validate(string paramName = "options")
    {
        if (MaxRequestsPerBatch is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MaxRequestsPerBatch)}", MaxRequestsPerBatch, "MaxRequestsPerBatch must be between 1 and 100,000.");
        }

        if (MaxBytesPerBatch < 64 * 1024)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MaxBytesPerBatch)}", MaxBytesPerBatch, "MaxBytesPerBatch must be at least 64 KiB.");
        }

        if (PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(PollInterval)}", PollInterval, "PollInterval must be positive.");
        }

        if (MaxPollInterval < PollInterval)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MaxPollInterval)}", MaxPollInterval, "MaxPollInterval must be at least PollInterval.");
        }

        if (MaxResubmits is < 0 or > 10)
        {
            throw new ArgumentOutOfRangeException($"{paramName}.{nameof(MaxResubmits)}", MaxResubmits, "MaxResubmits must be between 0 and 10.");
        }

        if (WorkingDirectory is not null && !Directory.Exists(WorkingDirectory))
        {
            throw new ArgumentException($"WorkingDirectory '{WorkingDirectory}' does not exist.", $"{paramName}.{nameof(WorkingDirectory)}");
        }
    }
}
