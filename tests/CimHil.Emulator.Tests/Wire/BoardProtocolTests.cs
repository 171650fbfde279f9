using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using CimHil.Core.Chip;
using CimHil.Emulator.Wire;
using Serilog;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>The CimHil board protocol (docs/protocol.md) executed against a real <see cref="EmulatedChip"/>, no wire.</summary>
public sealed class BoardProtocolTests : IDisposable
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();
    private readonly EmulatedChip _chip = new(EmulatorSettings.Defaults with { Rows = 8, Columns = 6, Seed = 42 });
    private readonly BoardProtocol _board;

    public BoardProtocolTests() => _board = new BoardProtocol(_chip, Log);

    public void Dispose()
    {
        _board.Dispose();
        _chip.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task<string?> Ask(string message)
    {
        var reply = await _board.ExecuteAsync(message, CancellationToken.None);
        return reply is null ? null : Encoding.ASCII.GetString(reply);
    }

    [Fact]
    public async Task Idn_ReportsTheChipIdentityFields()
    {
        Assert.Equal("CimHil,Emulated HfOx 1T1R RRAM array,EMU-0001,emulator-1", await Ask("*IDN?"));
    }

    [Theory]
    [InlineData("SYST:ERR?")]
    [InlineData("SYSTEM:ERROR?")]
    [InlineData(":syst:err:next?")]
    [InlineData("System:Error:Next?")]
    public async Task Headers_AcceptShortLongOptionalAndAnyCase(string header)
    {
        Assert.Equal("0,\"No error\"", await Ask(header));
    }

    [Fact]
    public async Task Geometry_TechnologyAndCapabilities()
    {
        Assert.Equal("8,6", await Ask("ARR:GEOM?"));
        Assert.Equal("RRAM", await Ask("ARRay:TECHnology?"));
        Assert.Equal("VMM,FORM,VCLK", await Ask("ARR:CAP?"));
    }

    [Fact]
    public async Task UndefinedHeader_QueuesMinus113AndAnswersNothing()
    {
        Assert.Null(await Ask("ARR:FROB?"));
        Assert.Equal("-113,\"Undefined header;ARR:FROB?\"", await Ask("SYST:ERR?"));
        Assert.Equal("0,\"No error\"", await Ask("SYST:ERR?"));
    }

    [Theory]
    [InlineData("CELL:READ? 8,0,0.2", -222)]
    [InlineData("CELL:READ? 1,1,-0.2", -222)]
    [InlineData("CELL:READ? 1,1", -109)]
    [InlineData("CELL:READ? 1,1,0.2,7", -108)]
    [InlineData("CELL:READ? one,1,0.2", -104)]
    [InlineData("CELL:PROG 1,1,UP,1,1e-6", -224)]
    [InlineData("BLK:READ? 4,4,5,5,0.2", -222)]
    [InlineData("FORM REAL,16", -222)]
    [InlineData("SYST:CLOC:ADV -1", -222)]
    [InlineData("ARR:VMM? 0.1,0.2", -222)]
    [InlineData("ARR:VMM?", -109)]
    [InlineData("", 0)]
    public async Task BadParameters_QueueTheRightError(string message, int code)
    {
        Assert.Null(await Ask(message));
        var error = await Ask("SYST:ERR?");
        Assert.StartsWith(code.ToString(CultureInfo.InvariantCulture) + ",", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FormThenProgramThenRead_ChangesTheCellAndCountsPulses()
    {
        Assert.Equal("1", await Ask("*OPC?"));
        var form = (await Ask("CELL:FORM? 2,3,4.0,1e-5,1e-4"))!.Split(',');
        Assert.Equal(2, form.Length);
        Assert.Equal("1", form[1]);
        var before = double.Parse((await Ask("CELL:READ? 2,3,0.2"))!, CultureInfo.InvariantCulture);
        Assert.Null(await Ask("CELL:PROG 2,3,RES,2.0,1e-5,DEF,2e-4"));
        Assert.Equal("0,\"No error\"", await Ask("SYST:ERR?"));
        var after = double.Parse((await Ask("CELL:READ? 2,3,0.2"))!, CultureInfo.InvariantCulture);
        Assert.True(after < before, $"RESET should lower the current: {before} → {after}");
        Assert.Equal((1L, 1L, 1L), (_board.PulsesApplied, _board.FormingPulsesApplied, _chip.TotalPulses));
        Assert.Equal("1", await Ask("SYST:PULS:COUN?"));
    }

    [Fact]
    public async Task BlockRead_Real64BigEndian_AndReal32SwappedWhenAsked()
    {
        // Read noise makes two reads differ, so byte order is checked by magnitude: a wrong order decodes to absurd values.
        Assert.Null(await Ask("FORM REAL,64"));
        var block = (await _board.ExecuteAsync("BLK:READ? 1,1,2,3,0.2", CancellationToken.None))!;
        Assert.Equal("#248", Encoding.ASCII.GetString(block, 0, 4));
        Assert.Equal(52, block.Length);
        for (var i = 0; i < 6; i++)
        {
            Assert.InRange(Math.Abs(BinaryPrimitives.ReadDoubleBigEndian(block.AsSpan(4 + (8 * i)))), 0, 1e-3);
        }

        Assert.Null(await Ask("FORM:BORD SWAP;FORM REAL,32"));
        var swapped = (await _board.ExecuteAsync("BLK:READ? 1,1,2,3,0.2", CancellationToken.None))!;
        Assert.Equal("#224", Encoding.ASCII.GetString(swapped, 0, 4));
        for (var i = 0; i < 6; i++)
        {
            Assert.InRange(Math.Abs(BinaryPrimitives.ReadSingleLittleEndian(swapped.AsSpan(4 + (4 * i)))), 0, 1e-3);
        }

        Assert.Equal("REAL,32", await Ask("FORM?"));
        Assert.Equal("SWAP", await Ask("FORM:BORD?"));
    }

    [Fact]
    public async Task AsciiFormat_IsTheResetDefault()
    {
        Assert.Null(await Ask("FORM REAL,64;*RST"));
        Assert.Equal("ASC", await Ask("FORM?"));
        var row = (await Ask("ROW:READ? 0,0.2"))!.Split(',');
        Assert.Equal(6, row.Length);
    }

    [Fact]
    public async Task CompoundMessage_JoinsResponsesWithSemicolon()
    {
        Assert.Equal("8,6;1;RRAM", await Ask("ARR:GEOM?;*OPC?;ARR:TECH?"));
    }

    [Fact]
    public async Task ErrorInCompoundMessage_DiscardsTheRest()
    {
        Assert.Null(await Ask("*OPC?;BAD:HEADER;ARR:GEOM?"));
        Assert.StartsWith("-113,", await Ask("SYST:ERR?"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task VirtualClock_AdvanceAndQuery()
    {
        var t0 = double.Parse((await Ask("SYST:CLOC?"))!, CultureInfo.InvariantCulture);
        Assert.Null(await Ask("SYST:CLOC:ADV 3600"));
        var t1 = double.Parse((await Ask("SYST:CLOC?"))!, CultureInfo.InvariantCulture);
        Assert.Equal(3600, t1 - t0, 1e-6);
        Assert.Equal((VirtualClock.DefaultEpoch - DateTimeOffset.UnixEpoch).TotalSeconds, t0);
        Assert.Equal("1", await Ask("SYST:CLOC:VIRT?"));
    }

    [Fact]
    public async Task SafeState_ReachesTheChip()
    {
        Assert.Null(await Ask("SYST:SAFE"));
        Assert.Equal(1, _chip.SafeStateCalls);
    }

    [Fact]
    public async Task ErrorQueue_OverflowsWithMinus350AndStatusBitsFollow()
    {
        for (var i = 0; i < 40; i++)
        {
            await Ask("NOPE");
        }

        Assert.Equal("32", await Ask("SYST:ERR:COUN?"));
        Assert.Equal("36", await Ask("*STB?")); // EAV (4) + ESB (32)
        Assert.Equal("32", await Ask("*ESR?")); // command error bit
        for (var i = 0; i < 31; i++)
        {
            Assert.StartsWith("-113,", await Ask("SYST:ERR?"), StringComparison.Ordinal);
        }

        Assert.Equal("-350,\"Queue overflow\"", await Ask("SYST:ERR?"));
        Assert.Null(await Ask("*CLS"));
        Assert.Equal("0", await Ask("*STB?"));
    }
}
