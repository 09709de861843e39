namespace TypedBatch.Emulator;

/// <summary>Decides whether a valid chat or embeddings request is answered with an injected failure.</summary>
internal static class FaultInjection
{
    /// <summary>
    /// Returns the status to fail with, or 0 to answer normally. Markers win over
    /// <see cref="EmulatorOptions.FailEveryNth"/>; <c>[[fail:S:K]]</c> fails while the request's
    /// fingerprint has been received at most K times.
    /// </summary>
    /// <param name="plan">The markers of the request.</param>
    /// <param name="fingerprintReceived">How often the request's fingerprint has been received, this time included.</param>
    /// <param name="arrival">The request's 1-based arrival number across chat and embeddings.</param>
    /// <param name="options">The emulator's settings.</param>
    public static int ChooseFailureStatus(FaultPlan plan, long fingerprintReceived, long arrival, EmulatorOptions options)
    {
        if (plan.FailStatus != 0 && (plan.FailTimes == 0 || fingerprintReceived <= plan.FailTimes))
        {
            return plan.FailStatus;
        }

        int every = options.FailEveryNth;
        return every > 0 && arrival % every == 0 ? options.FailStatus : 0;
    }
}
