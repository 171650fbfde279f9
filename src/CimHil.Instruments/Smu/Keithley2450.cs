using System.Globalization;
using CimHil.Instruments.Scpi;

namespace CimHil.Instruments.Smu;

/// <summary>
/// A Keithley 2450 SourceMeter, in its own terms: volts, amperes, seconds. Only the SCPI subset CimHil uses (2450 Reference
/// Manual 2450-901-01, section 6 "SCPI command reference"); every command is built from the controls declared below.
/// A pulse is the SimpleLoop trigger-model template: it holds the source for its delay, then measures ("Trigger model templates").
/// </summary>
public sealed class Keithley2450(ScpiSession session) : ScpiInstrument(session)
{
    /// <summary><c>:SOUR:FUNC</c>: voltage or current source.</summary>
    public static ScpiControl<Keithley2450Function> SourceFunction { get; } = ScpiControl.Choice(
        "source function", ":SOUR:FUNC {0}", ":SOUR:FUNC?", new Dictionary<Keithley2450Function, string> { [Keithley2450Function.Voltage] = "VOLT", [Keithley2450Function.Current] = "CURR" });

    /// <summary><c>:SENS:FUNC</c>: what a reading measures (the function name is quoted on the 2450).</summary>
    public static ScpiControl<Keithley2450Function> MeasureFunction { get; } = ScpiControl.Choice(
        "measure function", ":SENS:FUNC {0}", ":SENS:FUNC?", new Dictionary<Keithley2450Function, string> { [Keithley2450Function.Voltage] = "\"VOLT\"", [Keithley2450Function.Current] = "\"CURR\"" });

    /// <summary><c>:SOUR:VOLT:LEV</c>: the source level, within the 2450's ±210 V range.</summary>
    public static ScpiControl<double> SourceVoltageV { get; } = ScpiControl.Number("source voltage level", ":SOUR:VOLT:LEV {0}", ":SOUR:VOLT:LEV?", "V", new ScpiRange(-210, 210));

    /// <summary>
    /// <c>:SOUR:VOLT:ILIM</c>: the current limit of the voltage source, at most 1.05 A. Below its 1 nA minimum the 2450 itself
    /// answers -222, which the driver's safety tests rely on to fail a read mid-operation; so only the sign is checked here.
    /// </summary>
    public static ScpiControl<double> CurrentLimitA { get; } = ScpiControl.Number("current limit", ":SOUR:VOLT:ILIM {0}", ":SOUR:VOLT:ILIM?", "A", ScpiRange.Positive(1.05));

    /// <summary><c>:OUTP</c>: the output relay.</summary>
    public static ScpiControl<bool> Output { get; } = ScpiControl.Switch("output", ":OUTP {0}", ":OUTP?");

    /// <summary><c>:TRIG:LOAD "SimpleLoop", 1, delay</c>: one source-delay-measure cycle; the delay is the pulse width.</summary>
    public static ScpiControl<double> SimpleLoopDelaySeconds { get; } = ScpiControl.Number("SimpleLoop delay", ":TRIG:LOAD \"SimpleLoop\", 1, {0}", null, "s", new ScpiRange(0, 10_000));

    /// <summary>Output off, source at 0 V: the SMU's safe state.</summary>
    public static string OutputOffAtZeroCommand { get; } = ScpiControl.Join(Output.Set(false), SourceVoltageV.Set(0));

    /// <summary>Output on, run the loaded SimpleLoop, wait for it (<c>*WAI</c>), output off, back to 0 V.</summary>
    public static string FireCommand { get; } = ScpiControl.Join(Output.Set(true), ":INIT", "*WAI", OutputOffAtZeroCommand);

    /// <summary>Prepares a pulse: voltage source at <paramref name="levelV"/> limited to <paramref name="currentLimitA"/>, SimpleLoop delay = width.</summary>
    public static string PulseSetupCommand(double levelV, double currentLimitA, double widthSeconds) => ScpiControl.Join(
        SourceFunction.Set(Keithley2450Function.Voltage), CurrentLimitA.Set(currentLimitA), SourceVoltageV.Set(levelV), SimpleLoopDelaySeconds.Set(widthSeconds));

    /// <summary>Prepares current readings: voltage source, current measurement, current limit.</summary>
    public static string CurrentMeasurementSetupCommand(double currentLimitA) => ScpiControl.Join(
        SourceFunction.Set(Keithley2450Function.Voltage), MeasureFunction.Set(Keithley2450Function.Current), CurrentLimitA.Set(currentLimitA));

    /// <summary>One reading at <paramref name="voltageV"/> in one message, which leaves the output off at 0 V.</summary>
    public static string MeasureCurrentQuery(double voltageV) => ScpiControl.Join(SourceVoltageV.Set(voltageV), Output.Set(true), ":READ?", OutputOffAtZeroCommand);

    /// <summary><c>*RST</c>: output off, 0 V.</summary>
    public Task ResetAsync(CancellationToken cancellationToken) => Session.ResetAsync(cancellationToken);

    /// <summary>See <see cref="PulseSetupCommand"/>; a setting, so retried on a link failure.</summary>
    public Task ConfigurePulseAsync(double levelV, double currentLimitA, double widthSeconds, CancellationToken cancellationToken) =>
        Session.ExecuteAsync(PulseSetupCommand(levelV, currentLimitA, widthSeconds), cancellationToken);

    /// <summary>
    /// Plays the configured pulse once (<see cref="FireCommand"/>), never retried: if the link fails after it may have left,
    /// <see cref="UncertainOutcomeException"/>.
    /// </summary>
    public Task FirePulseAsync(CancellationToken cancellationToken) => Session.ExecuteNonIdempotentAsync(FireCommand, cancellationToken);

    /// <summary>
    /// Plays the configured pulse once and returns the current measured at its end (<c>:FETC?</c>), in A. Never retried; a
    /// lost or garbled reply raises <see cref="UncertainOutcomeException"/> (the pulse may have been applied).
    /// </summary>
    public async Task<double> FirePulseAndFetchCurrentAsync(CancellationToken cancellationToken)
    {
        var query = FireCommand + ";:FETC?";
        var reply = await Session.QueryNonIdempotentAsync(query, cancellationToken).ConfigureAwait(false);
        await Session.ThrowIfErrorsAsync(FireCommand, cancellationToken).ConfigureAwait(false);
        return double.TryParse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var currentA) && double.IsFinite(currentA)
            ? currentA
            : throw new UncertainOutcomeException(
                Resource, query, new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to :FETC? is not a number"));
    }

    /// <summary>See <see cref="CurrentMeasurementSetupCommand"/>; a setting, so retried on a link failure.</summary>
    public Task ConfigureCurrentMeasurementAsync(double currentLimitA, CancellationToken cancellationToken) =>
        Session.ExecuteAsync(CurrentMeasurementSetupCommand(currentLimitA), cancellationToken);

    /// <summary>One current reading (A) at <paramref name="voltageV"/>; the output is off at 0 V afterwards.</summary>
    public Task<double> MeasureCurrentAsync(double voltageV, CancellationToken cancellationToken) =>
        Session.QueryDoubleAsync(MeasureCurrentQuery(voltageV), cancellationToken);

    /// <summary>Output off at 0 V, confirmed.</summary>
    public Task OutputOffAtZeroAsync(CancellationToken cancellationToken) => Session.ExecuteAsync(OutputOffAtZeroCommand, cancellationToken);
}
