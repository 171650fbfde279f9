using CimHil.Core.Chip;

namespace CimHil.Core.Tests.Chip;

public class BenchOperationGateTests
{
    [Fact]
    public async Task RunAsync_WhenTheOperationFails_RethrowsIt_AndTheNextOperationRuns()
    {
        // The gate only serialises: SafeChip, which wraps every connected chip, runs the safe state after a failure (a
        // gate that ran it too made every failure cost two safe states), so a failure must not leave the gate held.
        using var gate = new BenchOperationGate();

        var ex = await Assert.ThrowsAsync<IOException>(() => gate.RunAsync<int>(_ => throw new IOException("link dropped"), default));

        Assert.Equal("link dropped", ex.Message);
        Assert.Equal(7, await gate.RunAsync(_ => Task.FromResult(7), default).WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task RunAsync_RunsOneOperationAtATime()
    {
        using var gate = new BenchOperationGate();
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
