using System.Globalization;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Instruments.Analyzer;

/// <summary>
/// A Keithley 4200A-SCS parameter analyzer in its own terms, driven through KXCI, the Keithley External Control Interface
/// (4200A-SCS reference manual 4200A-901-01, section "Using KXCI"; the remote-control commands are listed in "KXCI commands").
/// KXCI is not SCPI: over LAN (port 1225) every message ends with NUL rather than LF and every message is answered, a command
/// with <see cref="Acknowledge"/>, a query with its value; there is no <c>*OPC?</c> and no error queue, only the last error
/// (<see cref="LastErrorQuery"/>). The SMUs are driven in user mode (<c>US</c>, <c>DV</c>, <c>TI</c>, section "SMU user mode
/// commands"); the 4225-PMU in standard pulse mode (<c>:PMU:*</c>, section "KXCI commands for the 4225-PMU"), its output
/// reaching the device through a 4225-RPM whose path is switched between PMU and SMU (<c>:PMU:RPM:CONFIGURE</c>).
/// </summary>
public sealed partial class Keithley4200A(ScpiSession session) : ScpiInstrument(session)
{
    /// <summary>What KXCI over LAN answers to a command it accepted.</summary>
    public const string Acknowledge = "ACK";

    /// <summary>KXCI's last-error query; <see cref="NoError"/> when nothing failed since the last clear.</summary>
    public const string LastErrorQuery = ":ERROR:LAST:GET";

    /// <summary>Forgets the last error.</summary>
    public const string ClearLastErrorCommand = ":ERROR:LAST:CLEAR";

    /// <summary>The reply of <see cref="LastErrorQuery"/> when there is no error.</summary>
    public const string NoError = "NO ERROR";

    /// <summary>IEEE 488.2 <c>*RST</c>, which KXCI accepts: every SMU to 0 V and off, PMU outputs off.</summary>
    public const string ResetCommand = "*RST";

    /// <summary>Selects SMU user mode, in which <c>DV</c> sources and <c>TI</c> measures at once (no channel-definition page).</summary>
    public const string UserModeCommand = "US";

    /// <summary>Initialises the PMU in standard pulse mode (mode 0; segment ARB is 1).</summary>
    public const string PmuInitCommand = ":PMU:INIT 0";

    /// <summary>Starts the configured PMU test.</summary>
    public const string PmuExecuteCommand = ":PMU:EXECUTE";

    /// <summary>1 while a PMU test runs, 0 once it is idle.</summary>
    public const string PmuStatusQuery = ":PMU:TEST:STATUS?";

    /// <summary>RPM path to the PMU (<c>:PMU:RPM:CONFIGURE</c> mode 0).</summary>
    public const int RpmToPmu = 0;

    /// <summary>
    /// RPM path to the SMU (<c>:PMU:RPM:CONFIGURE</c> mode 2). The KXCI manual (4200A-KXCI-907-01D, printed pages
    /// 7-22 and 7-23, as cited by public lab notes; the <c>RP</c> command on 7-67) numbers the modes 0 PMU, 1 CV 2-wire,
    /// 2 SMU, 3 CV 4-wire: mode 1 routed the CVU, not the SMU.
    /// </summary>
    public const int RpmToSmu = 2;

    /// <summary>Edge time of every PMU pulse: 100 ns, inside the 10 V range's 20 ns – 33 ms (4225-PMU datasheet, "Transition time").</summary>
    public const double PulseEdgeSeconds = 100e-9;

    /// <summary>SMU source voltage: ±210 V, the 4210-SMU's widest range (4200A-SCS datasheet, "SMU specifications").</summary>
    public static ScpiRange SmuVoltageV { get; } = new(-210, 210);

    /// <summary>SMU current compliance: 1 pA to 105 mA (4200-SMU: 100 mA range, compliance to 105 % of it).</summary>
    public static ScpiRange SmuComplianceA { get; } = new(1e-12, 0.105);

    /// <summary>PMU pulse level: ±10 V, the 4225-PMU's 10 V range (its 40 V range is not used: RRAM/PCM never need it).</summary>
    public static ScpiRange PmuVoltageV { get; } = new(-10, 10);

    /// <summary>PMU pulse width: 60 ns to 1 s (4225-PMU datasheet, "Pulse width", 10 V range).</summary>
    public static ScpiRange PmuWidthSeconds { get; } = new(60e-9, 1);

    /// <summary>PMU current limit: 100 nA (the RPM's lowest range) to 200 mA (10 V range into a short).</summary>
    public static ScpiRange PmuCurrentLimitA { get; } = new(100e-9, 0.2);

    /// <summary>KXCI over LAN: NUL terminates every message both ways; no SYST:ERR? to probe after a silent query.</summary>
    public static ScpiSessionOptions SessionOptions { get; } = new() { Terminator = 0, ProbeErrorsOnSilentQuery = false, ErrorQuery = LastErrorQuery };

    /// <summary>Opens a session to a 4200A with <see cref="SessionOptions"/>.</summary>
    public static async Task<Keithley4200A> OpenAsync(string resource, TransportOptions options, ILogger logger, ITransportFactory factory, CancellationToken cancellationToken) =>
        new(await ScpiSession.OpenAsync(resource, options ?? throw new ArgumentNullException(nameof(options)), logger, cancellationToken, factory, SessionOptions with { Terminator = 0 }).ConfigureAwait(false));

    /// <summary><c>DVn, 0, V, I</c>: SMU n sources <paramref name="levelV"/> on auto range (0) limited to <paramref name="complianceA"/>.</summary>
    public static string ForceVoltageCommand(int smu, double levelV, double complianceA)
    {
        RequireSmu(smu);
        Check("SMU voltage", SmuVoltageV, levelV, "V");
        Check("SMU compliance", SmuComplianceA, complianceA, "A");
        return $"DV{smu}, 0, {Num(levelV)}, {Num(complianceA)}";
    }

    /// <summary><c>DVn</c> alone: SMU n to 0 V and off.</summary>
    public static string SmuOffCommand(int smu)
    {
        RequireSmu(smu);
        return $"DV{smu}";
    }

    /// <summary><c>TIn</c>: one current reading of SMU n.</summary>
    public static string CurrentQuery(int smu)
    {
        RequireSmu(smu);
        return $"TI{smu}";
    }

    /// <summary><c>:PMU:RPM:CONFIGURE PMU1-ch, mode</c>: the RPM on PMU channel <paramref name="pmuChannel"/> to the PMU or the SMU.</summary>
    public static string RpmCommand(int pmuChannel, int mode)
    {
        RequirePmu(pmuChannel);
        return mode is RpmToPmu or RpmToSmu
            ? $":PMU:RPM:CONFIGURE PMU1-{pmuChannel}, {mode}"
            : throw new ArgumentOutOfRangeException(nameof(mode), mode, "RPM mode: 0 (PMU) or 2 (SMU)");
    }

    /// <summary><c>:PMU:OUTPUT:STATE ch, 0|1</c>.</summary>
    public static string PmuOutputCommand(int pmuChannel, bool on)
    {
        RequirePmu(pmuChannel);
        return $":PMU:OUTPUT:STATE {pmuChannel}, {(on ? 1 : 0)}";
    }

    /// <summary>
    /// The standard-pulse setup of one pulse on PMU channel <paramref name="pmuChannel"/>, every value checked against its
    /// declared range first: <c>:PMU:PULSE:TIMES ch, period, width, rise, fall, delay</c> (period twice the pulse, so the single
    /// pulse ends inside it), <c>:PMU:PULSE:LIMITS ch, V, I, P</c> (the test stops when the current passes the limit) and
    /// <c>:PMU:PULSE:TRAIN ch, base, amplitude</c> (base 0 V).
    /// </summary>
    public static IReadOnlyList<string> PulseSetup(int pmuChannel, double levelV, double limitA, double widthSeconds)
    {
        RequirePmu(pmuChannel);
        Check("PMU pulse level", PmuVoltageV, levelV, "V");
        Check("PMU current limit", PmuCurrentLimitA, limitA, "A");
        Check("PMU pulse width", PmuWidthSeconds, widthSeconds, "s");
        var periodSeconds = 2 * (widthSeconds + 2 * PulseEdgeSeconds);
        var e = Num(PulseEdgeSeconds);
        var limitV = PmuVoltageV.Maximum;
        return
        [
            $":PMU:PULSE:TIMES {pmuChannel}, {Num(periodSeconds)}, {Num(widthSeconds)}, {e}, {e}, 0",
            $":PMU:PULSE:LIMITS {pmuChannel}, {Num(limitV)}, {Num(limitA)}, {Num(limitV * limitA)}",
            $":PMU:PULSE:TRAIN {pmuChannel}, 0, {Num(levelV)}",
        ];
    }

    /// <summary>
    /// Parses a KXCI reading: a three-letter header (status, channel, measured quantity; status <c>N</c> normal, <c>C</c> in
    /// compliance) before the value, as <c>NAI+1.234567E-06</c>.
    /// </summary>
    public static KxciReading ParseReading(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var text = reply.Trim();
        var start = 0;
        while (start < text.Length && start < 3 && char.IsAsciiLetterUpper(text[start]))
        {
            start++;
        }

        if (start != 3 || !double.TryParse(text.AsSpan(3).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new FormatException($"'{reply}' is not a KXCI reading (status, channel and quantity letters, then a number)");
        }

        return new KxciReading(text[0], text[1], text[2], value);
    }

    /// <summary>Resets the 4200A (<c>*RST</c>), forgets the last error and enters SMU user mode; with a PMU, initialises it.</summary>
    public async Task ResetAsync(int? pmuChannel, CancellationToken cancellationToken)
    {
        await CommandAsync(ResetCommand, cancellationToken).ConfigureAwait(false);
        await CommandAsync(ClearLastErrorCommand, cancellationToken).ConfigureAwait(false);
        await CommandAsync(UserModeCommand, cancellationToken).ConfigureAwait(false);
        if (pmuChannel is { } ch)
        {
            await CommandAsync(PmuInitCommand, cancellationToken).ConfigureAwait(false);
            await CommandAsync(PmuOutputCommand(ch, false), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One current reading (A) of SMU <paramref name="smu"/> at <paramref name="levelV"/>; the SMU is off at 0 V afterwards.</summary>
    public async Task<double> ReadCurrentAsync(int smu, double levelV, double complianceA, CancellationToken cancellationToken)
    {
        var force = ForceVoltageCommand(smu, levelV, complianceA);
        await CommandAsync(force, cancellationToken).ConfigureAwait(false);
        var reading = await MeasureAsync(smu, afterPulse: false, cancellationToken).ConfigureAwait(false);
        await CommandAsync(SmuOffCommand(smu), cancellationToken).ConfigureAwait(false);
        return reading.Value;
    }

    /// <summary>
    /// A forming step on SMU <paramref name="smu"/>: <paramref name="levelV"/> limited to <paramref name="complianceA"/>, held at
    /// least <paramref name="holdSeconds"/> (timed here, not by the instrument), then the current, then 0 V and off. Never retried
    /// once the level may have been sent: a link failure then is <see cref="UncertainOutcomeException"/>.
    /// </summary>
    public async Task<double> FormAsync(int smu, double levelV, double complianceA, double holdSeconds, CancellationToken cancellationToken)
    {
        var force = ForceVoltageCommand(smu, levelV, complianceA);
        await CommandAsync(force, cancellationToken, idempotent: false).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(holdSeconds), cancellationToken).ConfigureAwait(false);
        var reading = await MeasureAsync(smu, afterPulse: true, cancellationToken).ConfigureAwait(false);
        await AfterPulseAsync(force, () => CommandAsync(SmuOffCommand(smu), cancellationToken)).ConfigureAwait(false);
        return reading.Value;
    }

    /// <summary>
    /// One PMU pulse: the RPM to the PMU, the pulse set up, output on, <c>:PMU:EXECUTE</c> (never retried), polled with
    /// <c>:PMU:TEST:STATUS?</c> until idle, output off, then the last error. A link failure from the execute on is
    /// <see cref="UncertainOutcomeException"/>; an error the 4200A reports is <see cref="ScpiErrorException"/>.
    /// </summary>
    public async Task PulseAsync(int pmuChannel, double levelV, double limitA, double widthSeconds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var setup = PulseSetup(pmuChannel, levelV, limitA, widthSeconds);
        await CommandAsync(RpmCommand(pmuChannel, RpmToPmu), cancellationToken).ConfigureAwait(false);
        foreach (var command in setup)
        {
            await CommandAsync(command, cancellationToken).ConfigureAwait(false);
        }

        await CommandAsync(PmuOutputCommand(pmuChannel, true), cancellationToken).ConfigureAwait(false);
        await CommandAsync(PmuExecuteCommand, cancellationToken, idempotent: false).ConfigureAwait(false);
        try
        {
            await WaitForTestAsync(widthSeconds, timeout, QueryAfterPulseAsync, cancellationToken).ConfigureAwait(false);
        }
        catch (InstrumentException ex) when (ex is not UncertainOutcomeException)
        {
            throw new UncertainOutcomeException(Resource, PmuExecuteCommand, ex);
        }

        await AfterPulseAsync(PmuExecuteCommand, async () =>
        {
            await CommandAsync(PmuOutputCommand(pmuChannel, false), cancellationToken).ConfigureAwait(false);
            await ThrowIfLastErrorAsync(PmuExecuteCommand, cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>The PMU output off (when there is one), then the SMU to 0 V and off; confirmed by the last error.</summary>
    public async Task SafeStateAsync(int smu, int? pmuChannel, CancellationToken cancellationToken)
    {
        if (pmuChannel is { } ch)
        {
            await CommandAsync(PmuOutputCommand(ch, false), cancellationToken).ConfigureAwait(false);
        }

        await CommandAsync(SmuOffCommand(smu), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends one KXCI command and expects <see cref="Acknowledge"/>. Any other reply means it was refused: the last error
    /// is read and raised as <see cref="ScpiErrorException"/> naming the command. Idempotent commands are retried after a
    /// reconnect; the others never (a failure once sent is <see cref="UncertainOutcomeException"/>).
    /// </summary>
    public async Task CommandAsync(string command, CancellationToken cancellationToken, bool idempotent = true)
    {
        var reply = idempotent
            ? await Session.QueryAsync(command, cancellationToken).ConfigureAwait(false)
            : await Session.QueryNonIdempotentAsync(command, cancellationToken).ConfigureAwait(false);
        if (reply.Trim() != Acknowledge)
        {
            await ThrowIfLastErrorAsync(command, cancellationToken).ConfigureAwait(false);
            throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to '{command}', expected {Acknowledge}");
        }
    }

    /// <summary>Reads <see cref="LastErrorQuery"/>; when it names an error, clears it and raises it against <paramref name="command"/>.</summary>
    public async Task ThrowIfLastErrorAsync(string command, CancellationToken cancellationToken)
    {
        var reply = (await Session.QueryAsync(LastErrorQuery, cancellationToken).ConfigureAwait(false)).Trim();
        if (reply.Length == 0 || reply.Equals(NoError, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        await Session.QueryAsync(ClearLastErrorCommand, cancellationToken).ConfigureAwait(false);
        ScpiError error;
        try
        {
            error = ScpiError.Parse(reply);
        }
        catch (FormatException)
        {
            error = new ScpiError(-1, reply);
        }

        if (!error.IsError)
        {
            error = new ScpiError(-1, reply);
        }

        throw new ScpiErrorException(Resource, command, error, [error]);
    }

    private async Task<KxciReading> MeasureAsync(int smu, bool afterPulse, CancellationToken cancellationToken)
    {
        var query = CurrentQuery(smu);
        var reply = afterPulse
            ? await QueryAfterPulseAsync(query, cancellationToken).ConfigureAwait(false)
            : await Session.QueryAsync(query, cancellationToken).ConfigureAwait(false);
        try
        {
            return ParseReading(reply);
        }
        catch (FormatException ex)
        {
            await ThrowIfLastErrorAsync(query, cancellationToken).ConfigureAwait(false);
            throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to '{query}': {ex.Message}", ex);
        }
    }

    // After a pulse has left, a link failure in what follows cannot tell whether it ran as asked: uncertain, not "nothing applied".
    private async Task AfterPulseAsync(string command, Func<Task> steps)
    {
        try
        {
            await steps().ConfigureAwait(false);
        }
        catch (InstrumentException ex) when (ex is not UncertainOutcomeException and not ScpiErrorException)
        {
            throw new UncertainOutcomeException(Resource, command, ex);
        }
    }

    // After a pulse has left, a failed exchange cannot tell whether it ran: never retried, always uncertain.
    private async Task<string> QueryAfterPulseAsync(string query, CancellationToken cancellationToken)
    {
        try
        {
            return await Session.QueryNonIdempotentAsync(query, cancellationToken).ConfigureAwait(false);
        }
        catch (InstrumentException ex) when (ex is not UncertainOutcomeException and not ScpiErrorException)
        {
            throw new UncertainOutcomeException(Resource, query, ex);
        }
    }

    private static void RequireSmu(int smu) =>
        ArgumentOutOfRangeException.ThrowIfNotEqual(smu is >= 1 and <= 9, true, nameof(smu));

    private static void RequirePmu(int channel) =>
        ArgumentOutOfRangeException.ThrowIfNotEqual(channel is 1 or 2, true, nameof(channel));

    private static void Check(string what, ScpiRange range, double value, string unit)
    {
        if (range.Check(value, unit) is { } reason)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, $"4200A {what}: {Num(value)} {unit} {reason}");
        }
    }

    private static string Num(double value) => ScpiControl.FormatNumber(value);
}
