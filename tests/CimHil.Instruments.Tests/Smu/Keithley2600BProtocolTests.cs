using CimHil.Instruments.Scpi;
using CimHil.Instruments.Smu;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Smu;

/// <summary>The Keithley 2600B's TSP text, each control and each method, against a scripted transport.</summary>
public sealed class Keithley2600BProtocolTests
{
    private const string Count = "print(errorqueue.count)";
    private const string NoErrors = "0.00000e+00";

    private static (Keithley2600B Smu, ScriptedTransport Script) Smu(params (string Write, string? Reply)[] script)
    {
        var (session, transport) = ScriptedTransport.Session(Keithley2600B.SessionOptions, script);
        return (new Keithley2600B(session), transport);
    }

    [Fact]
    public void Controls_WriteTheManualsAttributes()
    {
        Assert.Equal("smua.source.levelv = -1.5", Keithley2600BChannel.A.LevelV.Set(-1.5));
        Assert.Equal("smub.source.limiti = 0.0001", Keithley2600BChannel.B.LimitA.Set(1e-4));
        Assert.Equal("smua.source.output = smua.OUTPUT_ON", Keithley2600BChannel.A.Output.Set(true));
        Assert.Equal("smua.source.output = smua.OUTPUT_OFF; smua.source.levelv = 0", Keithley2600BChannel.A.OutputOffAtZero);
        Assert.Equal(
            "smua.source.output = smua.OUTPUT_OFF; smua.source.levelv = 0; smub.source.output = smub.OUTPUT_OFF; smub.source.levelv = 0",
            Keithley2600B.OutputsOffAtZeroCommand([Keithley2600BChannel.A, Keithley2600BChannel.B]));
        Assert.Equal(
            "smub.source.func = smub.OUTPUT_DCVOLTS; smub.source.limiti = 0.001; smub.source.levelv = 2.5; smub.source.output = smub.OUTPUT_ON",
            Keithley2600B.DcBiasCommand(Keithley2600BChannel.B, 2.5, 1e-3));
    }

    [Theory]
    [InlineData(250.0, 1e-4, 1e-3, "smua source voltage: 250 V exceeds the maximum 200 V")]
    [InlineData(1.0, 5.0, 1e-3, "smua current limit: 5 A exceeds the maximum 3 A")]
    [InlineData(1.0, 1e-12, 1e-3, "smua current limit: 1E-12 A is below the minimum 1E-11 A")]
    [InlineData(1.0, 1e-4, 50e-6, "smua pulse width: 5E-05 s is below the minimum 0.0001 s")]
    public void PulseOutsideTheDeclaredRanges_IsRefusedBeforeAnythingIsBuilt(double levelV, double limitA, double widthSeconds, string message) =>
        Assert.StartsWith(message, Assert.Throws<ArgumentOutOfRangeException>(() => Keithley2600B.PulseCall(Keithley2600BChannel.A, levelV, limitA, widthSeconds)).Message, StringComparison.Ordinal);

    [Fact]
    public async Task LoadScript_SendsEveryLine_ThenRunsIt_AndChecksErrors()
    {
        var steps = Keithley2600B.Script.Select(line => (line, (string?)null)).Append(("cimhil.run()", null)).Append((Count, NoErrors)).ToArray();
        var (smu, script) = Smu(steps);

        await smu.LoadScriptAsync(CancellationToken.None);

        script.AssertConsumed();
    }

    [Fact]
    public async Task Pulse_ThenFetch_ReadsTheBuffer()
    {
        var (smu, script) = Smu(
            ("cimhil_pulse(smua, 4, 0.0001, 0.001)", null),
            (Count, NoErrors),
            ("printbuffer(1, 1, smua.nvbuffer1.readings)", "9.81000e-05"));

        await smu.PulseAsync(Keithley2600BChannel.A, 4, 1e-4, 1e-3, CancellationToken.None);
        var currentA = await smu.FetchCurrentAsync(Keithley2600BChannel.A, CancellationToken.None);

        Assert.Equal(9.81e-5, currentA);
        script.AssertConsumed();
    }

    [Fact]
    public async Task QueuedError_IsRaisedWithTheCall_AndEveryQueuedEntryIsRead()
    {
        var (smu, script) = Smu(
            ("cimhil_pulse(smua, 1, 0.0001, 0.001)", null),
            (Count, "2.00000e+00"),
            ("print(errorqueue.next())", "-2.85000e+02\tTSP Syntax error;attempt to call global 'cimhil_pulse' (a nil value)\t2.00000e+00\t1.00000e+00"),
            ("print(errorqueue.next())", "-2.22000e+02\tParameter data out of range\t2.00000e+00\t1.00000e+00"));

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => smu.PulseAsync(Keithley2600BChannel.A, 1, 1e-4, 1e-3, CancellationToken.None));

        Assert.Equal(-285, error.Code);
        Assert.Equal("cimhil_pulse(smua, 1, 0.0001, 0.001)", error.Command);
        Assert.Equal(2, error.AllErrors.Count);
        script.AssertConsumed();
    }

    [Fact]
    public async Task GarbledErrorCountAfterAPulse_IsAnUncertainOutcome()
    {
        var (smu, _) = Smu(("cimhil_pulse(smua, 1, 0.0001, 0.001)", null), (Count, "garbage"));

        var error = await Assert.ThrowsAsync<UncertainOutcomeException>(() => smu.PulseAsync(Keithley2600BChannel.A, 1, 1e-4, 1e-3, CancellationToken.None));

        Assert.Contains("cimhil_pulse", error.Message, StringComparison.Ordinal);
    }
}
