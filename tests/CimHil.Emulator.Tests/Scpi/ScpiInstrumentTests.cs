using System.Text;
using CimHil.Emulator.Scpi;
using Serilog.Core;

namespace CimHil.Emulator.Tests.Scpi;

/// <summary>The shared instrument core: message execution, the error policies, the reply cap and the common commands.</summary>
public sealed class ScpiInstrumentTests
{
    private int _resets;

    private ScpiInstrument Instrument(ScpiInstrumentOptions? options = null, ScpiHandler? fallback = null) => new(
        options ?? new ScpiInstrumentOptions { Name = "Test" },
        Logger.None,
        () => "ACME,Model 1,SN1,1.0",
        _ =>
        {
            _resets++;
            return Task.CompletedTask;
        },
        [
            new("MEASure:VOLTage[:DC]?", (_, _) => ScpiResponse.TextTask("1.5")),
            new("BIG?", (_, _) => ScpiResponse.TextTask(new string('B', 100))),
            new("SOURce:LEVel", (r, _) =>
            {
                r.Count(1, 1);
                return r.Double(0, "level") >= 0 ? ScpiResponse.None : throw new ScpiCommandException(-222, "Data out of range;negative level");
            }),
        ],
        fallback);

    private static async Task<string?> Ask(ScpiInstrument instrument, string message) =>
        await instrument.ExecuteAsync(message, CancellationToken.None) is { } reply ? Encoding.ASCII.GetString(reply) : null;

    [Fact]
    public async Task ResponsesOfOneMessage_AreJoinedBySemicolons_InOrder()
    {
        var instrument = Instrument();

        Assert.Equal("1.5;1;1.5", await Ask(instrument, "MEAS:VOLT?;*OPC?; :measure:voltage:dc?"));
        Assert.Equal(3, instrument.UnitsExecuted);
    }

    [Fact]
    public async Task DiscardMessage_AFailedUnitSilencesTheWholeMessage_AndSkipsTheRest()
    {
        var instrument = Instrument();

        Assert.Null(await Ask(instrument, "MEAS:VOLT?;SOUR:LEV -1;MEAS:VOLT?"));

        Assert.Equal(2, instrument.UnitsExecuted);
        Assert.Equal("-222,\"Data out of range;negative level\"", await Ask(instrument, "SYST:ERR?"));
    }

    [Fact]
    public async Task KeepEarlierResponses_SendsWhatRanBeforeTheError_SeparatedByLineFeeds()
    {
        var instrument = Instrument(new ScpiInstrumentOptions { Name = "Test", ResponseSeparator = '\n', AfterError = ScpiErrorPolicy.KeepEarlierResponses });

        Assert.Equal("1.5\n1", await Ask(instrument, "MEAS:VOLT?;*OPC?;BOGUS;MEAS:VOLT?"));
        Assert.Equal("-113,\"Undefined header;BOGUS\"", await Ask(instrument, "SYST:ERR?"));
    }

    [Fact]
    public async Task Continue_QueuesTheErrorAndRunsTheNextUnit()
    {
        var instrument = Instrument(new ScpiInstrumentOptions { Name = "Test", AfterError = ScpiErrorPolicy.Continue });

        Assert.Equal("1.5;1.5", await Ask(instrument, "MEAS:VOLT?;BOGUS;MEAS:VOLT?"));
        Assert.Equal(1, instrument.Errors.Count);
    }

    [Fact]
    public async Task AnEmptyHeaderIsASyntaxError_AnUnknownOneUndefined()
    {
        var instrument = Instrument();

        Assert.Null(await Ask(instrument, ":"));
        Assert.Null(await Ask(instrument, "MEAS:CURR?"));

        Assert.Equal("-102,\"Syntax error\";-113,\"Undefined header;MEAS:CURR?\"", await Ask(instrument, "SYST:ERR?;SYST:ERR?"));
    }

    [Fact]
    public async Task Fallback_GetsEveryUnitNoHeaderMatched_AsReceived()
    {
        var units = new List<string>();
        var instrument = Instrument(fallback: (r, _) =>
        {
            units.Add(r.Unit);
            return ScpiResponse.TextTask("ok");
        });

        Assert.Equal("ok;1.5;ok", await Ask(instrument, "print(x.y(\"1A01:1A02\"));MEAS:VOLT?; :"));
        Assert.Equal(["print(x.y(\"1A01:1A02\"))", ":"], units);
    }

    [Fact]
    public async Task ReplyCap_TheUnitThatWouldPassItQueuesMinus430_AndNothingIsSent()
    {
        var instrument = Instrument(new ScpiInstrumentOptions { Name = "Test", MaxReplyBytes = 256 });

        // 100 + 1 + 100 = 201 bytes fit; the third response would make 302.
        Assert.Equal(201, (await Ask(instrument, "BIG?;BIG?"))!.Length);
        Assert.Null(await Ask(instrument, "BIG?;BIG?;BIG?;*OPC?"));

        Assert.Equal(5, instrument.UnitsExecuted);
        Assert.Equal("4", await Ask(instrument, "*ESR?"));
        Assert.Equal("-430,\"Query DEADLOCKED;the responses to this message exceed the 256-byte output queue at unit 3 (BIG?); output discarded, the rest of the message not executed\"", await Ask(instrument, "SYST:ERR?"));
    }

    [Fact]
    public async Task ReplyCap_Minus430DiscardsTheOutputEvenWhereErrorsKeepIt()
    {
        var instrument = Instrument(new ScpiInstrumentOptions { Name = "Test", MaxReplyBytes = 256, AfterError = ScpiErrorPolicy.KeepEarlierResponses });

        Assert.Null(await Ask(instrument, "BIG?;BIG?;BIG?"));
        Assert.Equal(1, instrument.Errors.Count);
    }

    [Fact]
    public async Task CommonCommands_IdentityResetOpcTestAndStatus()
    {
        var instrument = Instrument();

        Assert.Equal("ACME,Model 1,SN1,1.0;1;0", await Ask(instrument, "*IDN?;*OPC?;*TST?"));
        Assert.Null(await Ask(instrument, "*RST;*OPC;*WAI"));
        Assert.Equal(1, _resets);
        Assert.Equal("0;0;0", await Ask(instrument, "*ESR?;*STB?;SYST:ERR:COUN?"));
    }

    [Fact]
    public async Task Rst_TakesNoParameters()
    {
        var instrument = Instrument();

        Assert.Null(await Ask(instrument, "*RST 1"));

        Assert.Equal(0, _resets);
        Assert.Equal("-108,\"Parameter not allowed;*RST 1 takes at most 0 parameters, got 1\"", await Ask(instrument, "SYST:ERR?"));
    }

    [Fact]
    public async Task EsrAndStb_ReportTheErrorClasses_ClsClearsQueueAndRegister()
    {
        var instrument = Instrument();
        await Ask(instrument, "BOGUS");
        await Ask(instrument, "SOUR:LEV -1");

        Assert.Equal("2;36", await Ask(instrument, "SYST:ERR:COUN?;*STB?"));
        Assert.Equal("48;0", await Ask(instrument, "*ESR?;*ESR?"));
        Assert.Null(await Ask(instrument, "*CLS"));
        Assert.Equal("0;0,\"No error\"", await Ask(instrument, "*STB?;SYST:ERR?"));
    }

    [Fact]
    public async Task SystemErrorQueries_AreLeftOutForInstrumentsWithoutThem()
    {
        var instrument = Instrument(new ScpiInstrumentOptions { Name = "Test", SystemErrorQueries = false });

        Assert.Null(await Ask(instrument, "SYST:ERR?"));
        Assert.True(instrument.Errors.TryDequeue(out var entry));
        Assert.Equal((-113, "Undefined header;SYST:ERR?"), entry);
    }

    [Fact]
    public async Task TextResponses_UseTheInstrumentsEncoding()
    {
        var instrument = Instrument(new ScpiInstrumentOptions { Name = "Test", ReplyEncoding = Encoding.UTF8 });
        instrument.Errors.Push(-222, "Data out of range;5 V exceeds ±3 V");

        Assert.Equal("-222,\"Data out of range;5 V exceeds ±3 V\"", await instrument.ExecuteTextAsync("SYST:ERR?", CancellationToken.None));
    }
}
