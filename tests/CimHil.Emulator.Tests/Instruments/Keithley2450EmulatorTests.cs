using CimHil.Emulator.Instruments;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Instruments;

/// <summary>The emulated 2450's error queue and common commands, now those of the shared SCPI core.</summary>
public sealed class Keithley2450EmulatorTests
{
    private readonly SmuMatrixBench _bench = new(TestChips.BenchArray(), Logger.None);

    private Task<string?> Ask(string message) => _bench.Smu.ExecuteAsync(message, CancellationToken.None);

    [Fact]
    public async Task QueueOverflow_The32ndEntryIsMinus350()
    {
        for (var i = 0; i < 40; i++)
        {
            Assert.Null(await Ask($":BOGUS{i}"));
        }

        Assert.Equal(32, _bench.Smu.ErrorCount);
        for (var i = 0; i < 31; i++)
        {
            Assert.Equal($"-113,\"Undefined header;:BOGUS{i}\"", await Ask(":SYST:ERR?"));
        }

        Assert.Equal("-350,\"Queue overflow\"", await Ask(":SYST:ERR?"));
        Assert.Equal("0,\"No error\"", await Ask(":SYST:ERR?"));
    }

    [Fact]
    public async Task ANumberBeyondADouble_IsDataOutOfRange_NotAWrongType()
    {
        Assert.Null(await Ask(":SOUR:VOLT 1e999"));

        Assert.Equal("-222,\"Data out of range;voltage level '1e999' is beyond the range of a double\"", await Ask(":SYST:ERR?"));
        Assert.Equal(0, _bench.Smu.SourceLevelV);
    }

    [Fact]
    public async Task NotANumber_IsStillADataTypeError()
    {
        Assert.Null(await Ask(":SOUR:VOLT NaN"));

        Assert.Equal("-104,\"Data type error;voltage level 'NaN' is not a number\"", await Ask(":SYST:ERR?"));
    }

    [Fact]
    public async Task AHeaderOfOnlyAColon_IsASyntaxError()
    {
        Assert.Null(await Ask(":"));

        Assert.Equal("-102,\"Syntax error\"", await Ask(":SYST:ERR?"));
    }

    [Fact]
    public async Task StatusCommands_ReportTheErrorClassAndTheQueue()
    {
        await Ask(":SOUR:VOLT:ILIM 2");

        Assert.Equal("1;36;16;0", await Ask(":SYST:ERR:COUN?;*STB?;*ESR?;*ESR?"));
        Assert.Null(await Ask("*CLS"));
        Assert.Equal(0, _bench.Smu.ErrorCount);
        Assert.Equal("0", await Ask("*TST?"));
    }

    [Fact]
    public async Task ALongErrorText_IsCutTo255Characters()
    {
        var header = ":" + new string('X', 400);

        Assert.Null(await Ask(header));

        var entry = await Ask(":SYST:ERR?");
        Assert.Equal("-113,\"Undefined header;" + header[..(255 - 3 - 17)] + "...\"", entry);
    }

    [Fact]
    public async Task TheErrorTextKeepsItsUnitSigns()
    {
        Assert.Null(await Ask(":SOUR:VOLT 300"));

        Assert.Equal("-222,\"Data out of range;300 V exceeds ±210 V\"", await Ask(":SYST:ERR?"));
    }
}
