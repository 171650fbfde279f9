using CimHil.Emulator.Instruments;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Instruments;

/// <summary>The emulated 707B's TSP error queue and output bounds, now those of the shared core.</summary>
public sealed class Keithley707BEmulatorTests
{
    private readonly SmuMatrixBench _bench = new(TestChips.BenchArray(), Logger.None);

    private Task<string?> Ask(string message) => _bench.Matrix.ExecuteAsync(message, CancellationToken.None);

    [Fact]
    public async Task QueueOverflow_The32ndEntryIsMinus350()
    {
        for (var i = 0; i < 40; i++)
        {
            await Ask("channel.close(\"9Z99\")");
        }

        Assert.Equal("3.20000e+01", await Ask("print(errorqueue.count)"));
        for (var i = 0; i < 31; i++)
        {
            Assert.StartsWith("-2.22000e+02\tParameter data out of range;'9Z99' is not a channel", await Ask("print(errorqueue.next())"), StringComparison.Ordinal);
        }

        Assert.Equal("-3.50000e+02\tQueue overflow\t2.00000e+00\t1.00000e+00", await Ask("print(errorqueue.next())"));
        Assert.Equal("0.00000e+00\tQueue Is Empty\t0.00000e+00\t1.00000e+00", await Ask("print(errorqueue.next())"));
    }

    [Fact]
    public async Task AChunkStopsAtTheFailingStatement_AfterPrintingWhatCameBefore()
    {
        Assert.Equal("nil\n1", await Ask("print(channel.getclose(\"allslots\"));*OPC?;bogus();*OPC?"));
        Assert.Equal("1.00000e+00", await Ask("print(errorqueue.count)"));
    }

    [Fact]
    public async Task OutputBeyond16MiB_IsDiscardedWithMinus430()
    {
        await Ask("channel.close(\"1A01:1H12,2A01:2H12\")");
        var list = await Ask("print(channel.getclose(\"allslots\"))");
        Assert.Equal(192 * 5 - 1, list!.Length);

        // 960 bytes out per 37 bytes in: 18 000 of them are 17 MB, past the 16 MiB output queue.
        Assert.Null(await Ask(string.Join(';', Enumerable.Repeat("print(channel.getclose(\"allslots\"))", 18_000))));

        var entry = (await Ask("print(errorqueue.next())"))!.Split('\t');
        Assert.Equal("-4.30000e+02", entry[0]);
        Assert.StartsWith("Query DEADLOCKED;the responses to this message exceed the 16777216-byte output queue at unit 17477 ", entry[1], StringComparison.Ordinal);
    }
}
