using CimHil.Instruments.Scpi;
using CimHil.Instruments.Smu;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Smu;

/// <summary>The Keithley 2450's messages, each control and each method, against a scripted transport.</summary>
public sealed class Keithley2450ProtocolTests
{
    private const string Fire = ":OUTP ON;:INIT;*WAI;:OUTP OFF;:SOUR:VOLT:LEV 0";

    private static (Keithley2450 Smu, ScriptedTransport Script) Smu(params (string Write, string? Reply)[] script)
    {
        var (session, transport) = ScriptedTransport.Session(null, script);
        return (new Keithley2450(session), transport);
    }

    [Fact]
    public void Controls_WriteTheManualsCommands()
    {
        Assert.Equal(":SOUR:FUNC VOLT", Keithley2450.SourceFunction.Set(Keithley2450Function.Voltage));
        Assert.Equal(":SOUR:FUNC CURR", Keithley2450.SourceFunction.Set(Keithley2450Function.Current));
        Assert.Equal(":SENS:FUNC \"CURR\"", Keithley2450.MeasureFunction.Set(Keithley2450Function.Current));
        Assert.Equal(":SOUR:VOLT:LEV -1.5", Keithley2450.SourceVoltageV.Set(-1.5));
        Assert.Equal(":SOUR:VOLT:ILIM 0.0001", Keithley2450.CurrentLimitA.Set(1e-4));
        Assert.Equal(":OUTP ON", Keithley2450.Output.Set(true));
        Assert.Equal(":TRIG:LOAD \"SimpleLoop\", 1, 0.001", Keithley2450.SimpleLoopDelaySeconds.Set(1e-3));
    }

    [Theory]
    [InlineData(250.0, "source voltage level: 250 V exceeds the maximum 210 V")]
    [InlineData(-250.0, "source voltage level: -250 V is below the minimum -210 V")]
    public void SourceLevelOutsideThe210VRange_IsRefused(double levelV, string message) =>
        Assert.StartsWith(message, Assert.Throws<ArgumentOutOfRangeException>(() => Keithley2450.SourceVoltageV.Set(levelV)).Message, StringComparison.Ordinal);

    [Fact]
    public void CurrentLimitAbove105mA_AndNegativeDelay_AreRefused()
    {
        Assert.StartsWith("current limit: 2 A exceeds the maximum 1.05 A", Assert.Throws<ArgumentOutOfRangeException>(() => Keithley2450.CurrentLimitA.Set(2)).Message, StringComparison.Ordinal);
        Assert.StartsWith("SimpleLoop delay: -0.001 s is below the minimum 0 s", Assert.Throws<ArgumentOutOfRangeException>(() => Keithley2450.SimpleLoopDelaySeconds.Set(-1e-3)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdentifyAndReset()
    {
        var (smu, script) = Smu(("*IDN?", "KEITHLEY INSTRUMENTS,MODEL 2450,04412345,1.7.3b"), ScriptedTransport.Setting("*RST"));

        var id = await smu.IdentifyAsync(CancellationToken.None);
        await smu.ResetAsync(CancellationToken.None);

        Assert.Equal("MODEL 2450", id.Model);
        script.AssertConsumed();
    }

    [Fact]
    public async Task ConfigurePulse_ThenFire_IsOneSettingAndOneNonIdempotentFiring()
    {
        var (smu, script) = Smu(
            ScriptedTransport.Setting(":SOUR:FUNC VOLT;:SOUR:VOLT:ILIM 0.0001;:SOUR:VOLT:LEV 1.2;:TRIG:LOAD \"SimpleLoop\", 1, 0.001"),
            ScriptedTransport.Setting(Fire));

        await smu.ConfigurePulseAsync(1.2, 1e-4, 1e-3, CancellationToken.None);
        await smu.FirePulseAsync(CancellationToken.None);

        script.AssertConsumed();
    }

    [Fact]
    public async Task FirePulseAndFetchCurrent_ReadsTheCurrentAtTheEndOfThePulse_ThenTheErrorQueue()
    {
        var (smu, script) = Smu((Fire + ";:FETC?", "1.000000E-04"), ("SYST:ERR?", "0,\"No error\""));

        Assert.Equal(1e-4, await smu.FirePulseAndFetchCurrentAsync(CancellationToken.None));
        script.AssertConsumed();
    }

    [Fact]
    public async Task FirePulseAndFetchCurrent_AGarbledReply_IsAnUncertainOutcome()
    {
        var (smu, script) = Smu((Fire + ";:FETC?", "1.0#0E-04"), ("SYST:ERR?", "0,\"No error\""));

        var error = await Assert.ThrowsAsync<UncertainOutcomeException>(() => smu.FirePulseAndFetchCurrentAsync(CancellationToken.None));

        Assert.Equal(Fire + ";:FETC?", error.Command);
        Assert.IsType<InstrumentProtocolException>(error.InnerException);
        script.AssertConsumed();
    }

    [Fact]
    public async Task CurrentMeasurement_IsOneSetting_ThenOneQueryPerReading()
    {
        var (smu, script) = Smu(
            ScriptedTransport.Setting(":SOUR:FUNC VOLT;:SENS:FUNC \"CURR\";:SOUR:VOLT:ILIM 0.0005"),
            (":SOUR:VOLT:LEV 0.2;:OUTP ON;:READ?;:OUTP OFF;:SOUR:VOLT:LEV 0", "2.5E-05"));

        await smu.ConfigureCurrentMeasurementAsync(5e-4, CancellationToken.None);
        var currentA = await smu.MeasureCurrentAsync(0.2, CancellationToken.None);

        Assert.Equal(2.5e-5, currentA);
        script.AssertConsumed();
    }

    [Fact]
    public async Task OutputOffAtZero_IsConfirmed()
    {
        var (smu, script) = Smu(ScriptedTransport.Setting(":OUTP OFF;:SOUR:VOLT:LEV 0"));

        await smu.OutputOffAtZeroAsync(CancellationToken.None);

        script.AssertConsumed();
    }

    [Fact]
    public async Task AnInstrumentError_IsRaisedWithTheCommand()
    {
        var (smu, script) = Smu(
            (":SOUR:FUNC VOLT;:SENS:FUNC \"CURR\";:SOUR:VOLT:ILIM 1E-10\n*OPC?\nSYST:ERR?", "1\n-222,\"Parameter data out of range\""),
            ("SYST:ERR?", "0,\"No error\""));

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => smu.ConfigureCurrentMeasurementAsync(1e-10, CancellationToken.None));

        Assert.Equal(-222, error.Code);
        script.AssertConsumed();
    }
}
