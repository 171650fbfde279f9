using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Core.Tests.Chip;

public class SafeOperationGateTests
{
    [Fact]
    public async Task RunAsync_WhenTheOperationFails_RethrowsIt_AndLeavesTheSafeStateToSafeChip()
    {
        // SafeChip, which wraps every connected chip, runs the safe state after a failure; a gate that ran it too made
        // every failure cost two safe states.
        var safeStates = 0;
        using var gate = new SafeOperationGate(_ => Task.FromResult(++safeStates), new LoggerConfiguration().CreateLogger(), "test bench");

        var ex = await Assert.ThrowsAsync<IOException>(() => gate.RunAsync<int>(_ => throw new IOException("link dropped"), default));

        Assert.Equal("link dropped", ex.Message);
        Assert.Equal(0, safeStates);
    }

    [Fact]
    public async Task RunAsync_RunsOneOperationAtATime()
    {
        using var gate = new SafeOperationGate();
        var first = new TaskCompletionSource();
        var running = 0;
        var most = 0;

        async Task<int> Operation(CancellationToken ct)
        {
            most = Math.Max(most, Interlocked.Increment(ref running));
            await first.Task.WaitAsync(ct);
            Interlocked.Decrement(ref running);
            return 0;
        }

        var a = gate.RunAsync(Operation, default);
        var b = gate.RunAsync(Operation, default);
        first.SetResult();
        await Task.WhenAll(a, b);

        Assert.Equal(1, most);
    }
}
