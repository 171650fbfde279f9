using CimHil.Emulator.Instruments.B1500;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Instruments;

/// <summary>The emulated B1500A's FLEX error buffer, now the shared error queue.</summary>
public sealed class B1500FlexEmulatorTests
{
    private readonly B1500Bench _bench = new(TestChips.BenchArray(), Logger.None);

    private Task<string?> Ask(string message) => _bench.Mainframe.ExecuteAsync(message, CancellationToken.None);

    [Fact]
    public async Task Errx_AQuoteInTheEchoedCommandBecomesAnApostrophe_SoTheReplyStaysOneString()
    {
        Assert.Null(await Ask("CL \"1\""));

        Assert.Equal("120,\"Incorrect parameter value. CL '1'\"", await Ask("ERRX?"));
    }

    [Fact]
    public async Task AFailedCommandDoesNotStopTheMessage()
    {
        Assert.Equal("1", await Ask("XYZ;CL 0;DZ;*OPC?"));

        Assert.Equal(0, _bench.Mainframe.ClearChannelCount);
        Assert.Equal(1, _bench.Mainframe.ZeroCount);
        Assert.Equal("100,\"Undefined GPIB command.\";120,\"Incorrect parameter value. CL 0\";0,\"No Error.\"", await Ask("ERRX?;ERRX?;ERRX?"));
    }

    [Fact]
    public async Task AFullErrorBufferKeepsItsFirst32Entries_FlexHasNoOverflowCode()
    {
        for (var i = 0; i < 40; i++)
        {
            await Ask($"CL {-i}");
        }

        for (var i = 0; i < 32; i++)
        {
            Assert.Equal($"120,\"Incorrect parameter value. CL {-i}\"", await Ask("ERRX?"));
        }

        Assert.Equal("0,\"No Error.\"", await Ask("ERRX?"));
    }

    [Fact]
    public async Task Rst_ClearsTheErrorBufferAndDisablesTheWgfmu()
    {
        await Ask("XYZ");

        Assert.Equal("0,\"No Error.\"", await Ask("*RST;ERRX?"));
        Assert.True(_bench.IsSafe);
    }
}
