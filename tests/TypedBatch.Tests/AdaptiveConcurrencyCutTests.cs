using Microsoft.Extensions.Time.Testing;
using TypedBatch.Limits;

namespace TypedBatch.Tests;

/// <summary>
/// The 429 cut must hold requests back, not just lower a number: with every slot taken, a throttle makes new
/// entries wait until fewer than the new limit are active. Checked by making <c>EnterAsync</c> compare against
/// <c>Max</c> instead of the cut limit: both tests then fail.
/// </summary>
public sealed class AdaptiveConcurrencyCutTests
{
    [Fact]
    public async Task After_a_throttle_new_entries_wait_until_fewer_than_the_cut_limit_are_active()
    {
        var controller = new AdaptiveConcurrency(10, new FakeTimeProvider());
        for (int i = 0; i < 10; i++)
        {
            await controller.EnterAsync(CancellationToken.None);
        }

        controller.OnThrottled();
        controller.Limit.Should().Be(7);

        controller.Exit(); // 9 active
        ValueTask waiting = controller.EnterAsync(CancellationToken.None);
        waiting.IsCompleted.Should().BeFalse("9 active is not below the cut limit of 7");

        controller.Exit(); // 8
        controller.Exit(); // 7
        waiting.IsCompleted.Should().BeFalse("7 active is still not below 7");

        controller.Exit(); // 6: the waiter takes the seventh slot
        await waiting;
        ValueTask next = controller.EnterAsync(CancellationToken.None);
        next.IsCompleted.Should().BeFalse("the waiter brought the count back to the limit");
        controller.Exit();
        await next;
    }

    [Fact]
    public async Task A_free_slot_under_the_old_limit_is_not_handed_out_after_a_cut()
    {
        var controller = new AdaptiveConcurrency(4, new FakeTimeProvider());
        for (int i = 0; i < 3; i++)
        {
            await controller.EnterAsync(CancellationToken.None);
        }

        controller.OnThrottled(); // 4 → 2, with 3 active

        ValueTask entry = controller.EnterAsync(CancellationToken.None);
        entry.IsCompleted.Should().BeFalse("3 active is over the cut limit of 2, although under the ceiling of 4");
        controller.Exit();
        entry.IsCompleted.Should().BeFalse("2 active is the limit");
        controller.Exit();
        await entry;
    }
}
