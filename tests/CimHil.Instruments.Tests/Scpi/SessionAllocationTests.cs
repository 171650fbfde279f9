using System.Text;
using CimHil.Core.Config;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Scpi;

/// <summary>
/// The session's success path allocates nothing of its own beyond the reply and the task that carries it (issue 18:
/// through Polly a query cost a pooled context, its boxed flag, three strategy frames and a timer per exchange).
/// Counted in bytes on this thread over a transport that answers at once, so every call completes synchronously here.
/// </summary>
public sealed class SessionAllocationTests
{
    [Fact]
    public async Task Query_AllocatesOnlyTheReplyStringAndItsTask()
    {
        await using var session = new ScpiSession(new InstantReplyTransport("1"u8.ToArray()), TransportConfig.Default, Serilog.Core.Logger.None);
        for (var i = 0; i < 100; i++)
        {
            await session.QueryAsync("*OPC?", CancellationToken.None); // JIT, tiering, the send buffer
        }

        // The floor for any Task<string> API answering "1": the decoded string and a completed task around it.
        var line = "1"u8.ToArray();
        var floor = BytesPerCall(() => Task.FromResult(Encoding.ASCII.GetString(line)));
        var perQuery = BytesPerCall(() => session.QueryAsync("*OPC?", CancellationToken.None));

        Assert.InRange(floor, 64, 128); // a sanity check of the measurement: one string and one task
        Assert.Equal(floor, perQuery);
    }

    private static double BytesPerCall(Func<Task<string>> call)
    {
        const int Calls = 1000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Calls; i++)
        {
            Assert.True(call().IsCompletedSuccessfully);
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Calls;
    }
}
