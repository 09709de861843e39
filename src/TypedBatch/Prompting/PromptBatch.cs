using System.ComponentModel;

namespace TypedBatch;

/// <summary>
/// Runs a declared prompt method for many inputs. The generated default implementations of <c>MBatchAsync</c> and
/// <c>MAsCompletedAsync</c> call this, so a hand-written fake of a prompt interface gets working batch methods for
/// free; the generated client overrides them with a direct path.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class PromptBatch
{
    private const int DefaultConcurrency = 10;
    private static readonly BatchRunner Runner = new();

    /// <summary>Runs <paramref name="call"/> for every input; results in input order.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="call">The declared method.</param>
    /// <param name="options">Concurrency and progress; model and sampling overrides need the generated client.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public static Task<BatchResult<TOut>> RunAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task<TOut>> call, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Runner.RunAsync(inputs, async (input, ct) => new BatchWorkResult<TOut>(await call(input, ct).ConfigureAwait(false), default, 1), Describe(options, operation), cancellationToken);
    }

    /// <summary>Runs <paramref name="call"/> for every input; yields results as they complete.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="call">The declared method.</param>
    /// <param name="options">Concurrency and progress.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public static IAsyncEnumerable<BatchItem<TOut>> RunAsCompletedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task<TOut>> call, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Runner.RunAsCompletedAsync(inputs, async (input, ct) => new BatchWorkResult<TOut>(await call(input, ct).ConfigureAwait(false), default, 1), Describe(options, operation), cancellationToken);
    }

    /// <summary>Runs a <see cref="ValueTask{TResult}"/>-returning method for every input; results in input order.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="call">The declared method.</param>
    /// <param name="options">Concurrency and progress.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public static Task<BatchResult<TOut>> RunValueTaskAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> call, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Runner.RunAsync(inputs, async (input, ct) => new BatchWorkResult<TOut>(await call(input, ct).ConfigureAwait(false), default, 1), Describe(options, operation), cancellationToken);
    }

    /// <summary>Runs a <see cref="ValueTask{TResult}"/>-returning method for every input; yields results as they complete.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <typeparam name="TOut">The result type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="call">The declared method.</param>
    /// <param name="options">Concurrency and progress.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public static IAsyncEnumerable<BatchItem<TOut>> RunValueTaskAsCompletedAsync<TIn, TOut>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<TOut>> call, BatchOptions? options, string operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        return Runner.RunAsCompletedAsync(inputs, async (input, ct) => new BatchWorkResult<TOut>(await call(input, ct).ConfigureAwait(false), default, 1), Describe(options, operation), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="call"/> for every input and yields each answer as one text delta, then the input's final
    /// delta: the default of a generated <c>MStreamBatchAsync</c>, for a hand-written implementation that cannot stream.
    /// </summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="call">The declared method.</param>
    /// <param name="options">Concurrency and progress.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public static IAsyncEnumerable<BatchDelta> RunStreamAsync<TIn>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, Task<string>> call, BatchOptions? options, string operation, CancellationToken cancellationToken)
        => AsDeltasAsync(RunAsCompletedAsync(inputs, call, options, operation, cancellationToken));

    /// <summary>Like <see cref="RunStreamAsync{TIn}"/>, for a <see cref="ValueTask{TResult}"/>-returning method.</summary>
    /// <typeparam name="TIn">The input type.</typeparam>
    /// <param name="inputs">The inputs, enumerated lazily.</param>
    /// <param name="call">The declared method.</param>
    /// <param name="options">Concurrency and progress.</param>
    /// <param name="operation">The method's name, for logs.</param>
    /// <param name="cancellationToken">Cancels the batch.</param>
    public static IAsyncEnumerable<BatchDelta> RunValueTaskStreamAsync<TIn>(IEnumerable<TIn> inputs, Func<TIn, CancellationToken, ValueTask<string>> call, BatchOptions? options, string operation, CancellationToken cancellationToken)
        => AsDeltasAsync(RunValueTaskAsCompletedAsync(inputs, call, options, operation, cancellationToken));

    private static async IAsyncEnumerable<BatchDelta> AsDeltasAsync(IAsyncEnumerable<BatchItem<string>> items)
    {
        await foreach (BatchItem<string> item in items.ConfigureAwait(false))
        {
            if (item.Value is { } text)
            {
                yield return new BatchDelta { Index = item.Index, Text = text };
            }

            yield return new BatchDelta { Index = item.Index, Item = item };
        }
    }

    private static BatchPlan Describe(BatchOptions? options, string operation) => BatchPlanner.Custom(operation, options, DefaultConcurrency);
}
