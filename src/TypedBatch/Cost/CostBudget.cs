using System.Text;

namespace TypedBatch;

/// <summary>
/// A batch's hard budget (<see cref="BatchOptions.MaxCost"/>). Before each request the provider reserves the request's
/// worst case (see the <c>WorstCase</c> methods); the reservation is settled with what the answer actually cost. A request whose
/// worst case does not fit beside what is spent and reserved waits for the requests in flight to settle, and when it
/// still does not fit with nothing in flight, the budget is exhausted: it and every later request are refused, so the
/// spent cost never passes the budget.
/// </summary>
internal sealed class CostBudget(decimal max)
{
    private readonly object _gate = new();
    private decimal _spent;
    private decimal _reserved;
    private int _inFlight;
    private bool _exhausted;
    private TaskCompletionSource _settled = NewSignal();

    public decimal Max { get; } = max;

    /// <summary>What the settled requests cost.</summary>
    public decimal Spent
    {
        get
        {
            lock (_gate)
            {
                return _spent;
            }
        }
    }

    /// <summary>Whether a request has been refused: nothing more is sent.</summary>
    public bool Exhausted => Volatile.Read(ref _exhausted);

    /// <summary>
    /// Reserves <paramref name="worstCase"/>; false when it will never fit (the budget is then exhausted). Waits while it
    /// does not fit but requests in flight may still settle below their reservations.
    /// </summary>
    public async ValueTask<bool> ReserveAsync(decimal worstCase, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task settled;
            lock (_gate)
            {
                if (_exhausted)
                {
                    return false;
                }

                if (_spent + _reserved + worstCase <= Max)
                {
                    _reserved += worstCase;
                    _inFlight++;
                    return true;
                }

                if (_inFlight == 0)
                {
                    Volatile.Write(ref _exhausted, true);
                    return false;
                }

                settled = _settled.Task;
            }

            await settled.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases a reservation: what the request cost is spent (its worst case when unknown, to stay safe).</summary>
    public void Settle(decimal worstCase, decimal? actual)
    {
        TaskCompletionSource settled;
        lock (_gate)
        {
            _reserved -= worstCase;
            _spent += actual ?? worstCase;
            _inFlight--;
            settled = _settled;
            _settled = NewSignal();
        }

        settled.TrySetResult();
    }

    /// <summary>
    /// The most a chat request can cost: every UTF-8 byte of its messages and schema a token (no tokenizer yields
    /// more tokens than bytes), the chat format's overhead, and the full <paramref name="maxTokens"/> of output.
    /// </summary>
    public static decimal WorstCase(ModelPrice price, IReadOnlyList<PromptMessage> messages, int maxTokens, ReadOnlyMemory<byte> schema, bool deferred = false)
    {
        long prompt = 3 + schema.Length;
        foreach (PromptMessage message in messages)
        {
            prompt += 4 + Encoding.UTF8.GetByteCount(message.Content);
        }

        return price.Cost(new TokenUsage(prompt, maxTokens, prompt + maxTokens), deferred);
    }

    /// <summary>The most an embeddings request can cost: every UTF-8 byte of its inputs a token.</summary>
    public static decimal WorstCase(ModelPrice price, IReadOnlyList<string> inputs)
    {
        long prompt = 0;
        foreach (string input in inputs)
        {
            prompt += Encoding.UTF8.GetByteCount(input);
        }

        return price.Cost(new TokenUsage(prompt, 0, prompt));
    }

    /// <summary>The error of an item not sent because the budget is spent.</summary>
    public BatchError NotSent()
        => new(BatchErrorKind.BudgetExceeded, $"Not sent: the batch's MaxCost of ${Max.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)} does not cover another request (${Spent.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)} spent).");

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
