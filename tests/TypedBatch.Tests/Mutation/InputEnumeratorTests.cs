using System.Collections;
using Microsoft.Extensions.Time.Testing;

namespace TypedBatch.Tests.Mutation;

/// <summary>The runner disposes the input sequence's enumerator however the batch ends.</summary>
public sealed class InputEnumeratorTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    private static ValueTask<BatchWorkResult<int>> Ok(int value) => ValueTask.FromResult(new BatchWorkResult<int>(value, default, 1));

    [Fact]
    public async Task A_finished_batch_disposes_the_enumerator_once()
    {
        var inputs = new TrackedInputs(3);

        BatchResult<int> result = await new BatchRunner(timeProvider: new FakeTimeProvider()).RunAsync(inputs, (i, _) => Ok(i), new BatchPlan("t", "p", "m", 2));

        result.Should().HaveCount(3);
        inputs.Disposed.Should().Be(1);
    }

    [Fact]
    public async Task A_cancelled_batch_disposes_the_enumerator_before_it_throws()
    {
        var inputs = new TrackedInputs(100);
        using var cts = new CancellationTokenSource();
        var plan = new BatchPlan("t", "p", "m", 1) { Progress = new SyncProgress<BatchProgress>(_ => cts.Cancel()) };

        Func<Task> act = () => new BatchRunner(timeProvider: new FakeTimeProvider()).RunAsync(inputs, (i, _) => Ok(i), plan, cts.Token).WaitAsync(HangGuard);

        (await act.Should().ThrowAsync<BatchCanceledException<int>>()).Which.Started.Should().Be(1);
        inputs.Disposed.Should().Be(1);
        inputs.Pulled.Should().Be(1, "nothing is taken after the cancellation");
    }

    private sealed class TrackedInputs(int count) : IEnumerable<int>
    {
        private int _disposed;
        private int _pulled;

        public int Disposed => Volatile.Read(ref _disposed);

        public int Pulled => Volatile.Read(ref _pulled);

        public IEnumerator<int> GetEnumerator() => new Enumerator(this, count);

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator(TrackedInputs owner, int count) : IEnumerator<int>
        {
            public int Current { get; private set; } = -1;

            object IEnumerator.Current => Current;

            public bool MoveNext()
            {
                if (Current + 1 >= count)
                {
                    return false;
                }

                Current++;
                Interlocked.Increment(ref owner._pulled);
                return true;
            }

            public void Reset() => throw new NotSupportedException();

            public void Dispose() => Interlocked.Increment(ref owner._disposed);
        }
    }
}
