using System.Globalization;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using CimHil.Instruments.Tsp;
using Serilog;

namespace CimHil.Instruments.Smu;

/// <summary>
/// A Keithley 2600B SourceMeter (2602B/2612B/2636B; 2601B/2611B/2635B with channel A only) in its own terms, driven through
/// its TSP command set (2600B reference manual 2600BS-901-01). TSP is Lua, not SCPI: the pulse and read sequences live in one
/// script, <see cref="ScriptName"/>, loaded once at connect (<c>loadscript</c> … <c>endscript</c>, section 6 "Manage scripts")
/// and run to define its functions; each operation is then one short call. Errors come from <c>errorqueue</c>
/// (<see cref="TspErrorQueue"/>) after every statement, because TSP has no SYST:ERR?.
/// </summary>
public sealed class Keithley2600B(ScpiSession session) : ScpiInstrument(session)
{
    /// <summary>The name the script is loaded under (a global in the instrument's runtime environment).</summary>
    public const string ScriptName = "cimhil";

    /// <summary>TSP <c>reset()</c>: every channel to its defaults, outputs off at 0 V (section 11, "reset()").</summary>
    public const string ResetCommand = "reset()";

    /// <summary>
    /// The script: <c>cimhil_pulse</c> plays one voltage pulse through the channel's trigger model (section 3 "Triggering",
    /// "Using the remote trigger model" — the sweep the factory script KIPulse's PulseVMeasureI sets up, cut to one point):
    /// the source action steps to the pulse level, the measure action records the current into nvbuffer1, and timer 1, started
    /// by the source-complete event, ends the pulse after its width (endpulse action SOURCE_IDLE returns to the 0 V idle level).
    /// <c>cimhil_read</c> measures one current into nvbuffer1 at a DC level. Both leave the output off at 0 V.
    /// </summary>
    public static IReadOnlyList<string> Script { get; } =
    [
        $"loadscript {ScriptName}",
        "function cimhil_pulse(smu, levelv, limiti, widths)",
        "smu.source.output = smu.OUTPUT_OFF",
        "smu.source.func = smu.OUTPUT_DCVOLTS",
        "smu.source.levelv = 0",
        "smu.source.limiti = limiti",
        "smu.nvbuffer1.clear()",
        "smu.trigger.source.listv({levelv})",
        "smu.trigger.source.limiti = limiti",
        "smu.trigger.source.action = smu.ENABLE",
        "smu.trigger.measure.i(smu.nvbuffer1)",
        "smu.trigger.measure.action = smu.ENABLE",
        "trigger.timer[1].delay = widths",
        "trigger.timer[1].count = 1",
        "trigger.timer[1].stimulus = smu.trigger.SOURCE_COMPLETE_EVENT_ID",
        "smu.trigger.endpulse.stimulus = trigger.timer[1].EVENT_ID",
        "smu.trigger.endpulse.action = smu.SOURCE_IDLE",
        "smu.trigger.count = 1",
        "smu.source.output = smu.OUTPUT_ON",
        "smu.trigger.initiate()",
        "waitcomplete()",
        "smu.source.output = smu.OUTPUT_OFF",
        "smu.source.levelv = 0",
        "end",
        "function cimhil_read(smu, levelv, limiti)",
        "smu.source.func = smu.OUTPUT_DCVOLTS",
        "smu.source.limiti = limiti",
        "smu.source.levelv = levelv",
        "smu.nvbuffer1.clear()",
        "smu.source.output = smu.OUTPUT_ON",
        "smu.measure.i(smu.nvbuffer1)",
        "smu.source.output = smu.OUTPUT_OFF",
        "smu.source.levelv = 0",
        "end",
        "endscript",
    ];

    /// <summary>Runs the loaded script, which defines its functions (section 6, "Run a script": scriptVar.run()).</summary>
    public const string RunScriptCommand = ScriptName + ".run()";

    /// <summary>
    /// Pulse widths the trigger-model timer can time: at least 100 µs, the 2600B's shortest programmable pulse
    /// (2600B datasheet, "Pulse characteristics"); at most 10 s, far beyond any programming pulse.
    /// </summary>
    public static ScpiRange PulseWidthSeconds { get; } = new(100e-6, 10);

    /// <summary>
    /// Session options for the 2600B: a TSP instrument has no SYST:ERR? to probe after a silent query; errors are read from
    /// errorqueue instead. On RS-232 the command interface ends messages on LF and appends LF to every reply (Series 2600B
    /// Reference Manual 2600BS-901-01 Rev. F, section 8, "RS-232 terminator").
    /// </summary>
    public static ScpiSessionOptions SessionOptions { get; } = new() { ProbeErrorsOnSilentQuery = false, SerialTermination = (byte)'\n' };

    /// <summary>Opens a session to a 2600B with <see cref="SessionOptions"/>.</summary>
    public static async Task<Keithley2600B> OpenAsync(string resource, TransportOptions options, ILogger logger, ITransportFactory factory, CancellationToken cancellationToken) =>
        new(await ScpiSession.OpenAsync(resource, options, logger, cancellationToken, factory, SessionOptions).ConfigureAwait(false));

    /// <summary>The call that plays one pulse on <paramref name="channel"/>; every value is checked against its declared range first.</summary>
    public static string PulseCall(Keithley2600BChannel channel, double levelV, double limitA, double widthSeconds)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Check(channel.LevelV, levelV);
        Check(channel.LimitA, limitA);
        if (PulseWidthSeconds.Check(widthSeconds, "s") is { } reason)
        {
            throw new ArgumentOutOfRangeException(nameof(widthSeconds), widthSeconds, $"{channel} pulse width: {Num(widthSeconds)} s {reason}");
        }

        return $"cimhil_pulse({channel.Name}, {Num(levelV)}, {Num(limitA)}, {Num(widthSeconds)})";
    }

    /// <summary>The call that measures one current on <paramref name="channel"/> at <paramref name="levelV"/>.</summary>
    public static string ReadCall(Keithley2600BChannel channel, double levelV, double limitA)
    {
        ArgumentNullException.ThrowIfNull(channel);
        Check(channel.LevelV, levelV);
        Check(channel.LimitA, limitA);
        return $"cimhil_read({channel.Name}, {Num(levelV)}, {Num(limitA)})";
    }

    /// <summary>Prints the one reading <c>cimhil_pulse</c> or <c>cimhil_read</c> left in nvbuffer1 (section 11, "printbuffer()").</summary>
    public static string FetchQuery(Keithley2600BChannel channel) =>
        $"printbuffer(1, 1, {(channel ?? throw new ArgumentNullException(nameof(channel))).Name}.nvbuffer1.readings)";

    /// <summary>
    /// Sets <paramref name="channel"/> as a DC voltage source at <paramref name="levelV"/> limited to <paramref name="limitA"/>
    /// with its output on (the gate of a 1T1R cell during a pulse or read).
    /// </summary>
    public static string DcBiasCommand(Keithley2600BChannel channel, double levelV, double limitA)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return TspChunk.Join($"{channel.Name}.source.func = {channel.Name}.OUTPUT_DCVOLTS", channel.LimitA.Set(limitA), channel.LevelV.Set(levelV), channel.Output.Set(true));
    }

    /// <summary>Output off at 0 V on every channel in <paramref name="channels"/>, in one line.</summary>
    public static string OutputsOffAtZeroCommand(IEnumerable<Keithley2600BChannel> channels) =>
        TspChunk.Join(channels.Select(c => c.OutputOffAtZero));

    /// <summary><c>reset()</c>, then an empty error queue: outputs off at 0 V, defaults restored.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        await Session.WriteAsync(ResetCommand, cancellationToken).ConfigureAwait(false);
        await TspAsync(TspErrorQueue.ClearCommand, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads <see cref="Script"/> line by line and runs it, so that its functions exist; raises the first error the load queued.</summary>
    public async Task LoadScriptAsync(CancellationToken cancellationToken)
    {
        foreach (var line in Script)
        {
            await Session.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        }

        await TspAsync(RunScriptCommand, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Plays one pulse (<see cref="PulseCall"/>), never retried: if the link fails after the call may have left, or before its
    /// error count came back, <see cref="UncertainOutcomeException"/>.
    /// </summary>
    public async Task PulseAsync(Keithley2600BChannel channel, double levelV, double limitA, double widthSeconds, CancellationToken cancellationToken)
    {
        var call = PulseCall(channel, levelV, limitA, widthSeconds);
        await Session.WriteAsync(call, cancellationToken).ConfigureAwait(false);
        await TspErrorQueue.ThrowIfErrorsAsync(Session, call, afterPulse: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The current (A) the last pulse or read left in nvbuffer1.</summary>
    public Task<double> FetchCurrentAsync(Keithley2600BChannel channel, CancellationToken cancellationToken) =>
        Session.QueryDoubleAsync(FetchQuery(channel), cancellationToken);

    /// <summary>One current reading (A) at <paramref name="levelV"/>; the output is off at 0 V afterwards.</summary>
    public async Task<double> ReadCurrentAsync(Keithley2600BChannel channel, double levelV, double limitA, CancellationToken cancellationToken)
    {
        await TspAsync(ReadCall(channel, levelV, limitA), cancellationToken).ConfigureAwait(false);
        return await FetchCurrentAsync(channel, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>See <see cref="DcBiasCommand"/>.</summary>
    public Task DcBiasAsync(Keithley2600BChannel channel, double levelV, double limitA, CancellationToken cancellationToken) =>
        TspAsync(DcBiasCommand(channel, levelV, limitA), cancellationToken);

    /// <summary>See <see cref="OutputsOffAtZeroCommand"/>, confirmed through the error queue.</summary>
    public Task OutputsOffAtZeroAsync(IEnumerable<Keithley2600BChannel> channels, CancellationToken cancellationToken) =>
        TspAsync(OutputsOffAtZeroCommand(channels), cancellationToken);

    /// <summary>Sends one TSP line, then reads <c>errorqueue.count</c> and raises the first queued error, if any.</summary>
    public async Task TspAsync(string statement, CancellationToken cancellationToken)
    {
        await Session.WriteAsync(statement, cancellationToken).ConfigureAwait(false);
        await TspErrorQueue.ThrowIfErrorsAsync(Session, statement, afterPulse: false, cancellationToken).ConfigureAwait(false);
    }

    private static void Check(ScpiControl<double> control, double value) => control.Set(value);

    private static string Num(double value) => ScpiControl.FormatNumber(value);
}
