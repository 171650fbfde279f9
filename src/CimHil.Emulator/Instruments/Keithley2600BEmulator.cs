using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CimHil.Emulator.Scpi;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// An emulated Keithley 2636B SourceMeter: a TSP text interpreter for exactly the subset the keithley-2600b driver sends
/// (2600B reference manual 2600BS-901-01, section 11 "TSP command reference"): <c>loadscript</c> … <c>endscript</c> and
/// <c>name.run()</c> with <c>function</c> … <c>end</c> definitions and calls with positional arguments; assignments to
/// smuX.source.{output, func, levelv, limiti}, smuX.trigger.{source.limiti, source.action, measure.action, endpulse.action,
/// endpulse.stimulus, count} and trigger.timer[1].{delay, count, stimulus}; the calls smuX.nvbuffer1.clear(),
/// smuX.trigger.source.listv({v}), smuX.trigger.measure.i(buffer), smuX.trigger.initiate(), smuX.measure.i(buffer),
/// smuX.reset(), reset(), waitcomplete(); <c>printbuffer(1, 1, smuX.nvbuffer1.readings)</c>, <c>print(smuX.source.levelv)</c>,
/// <c>print(smuX.source.output)</c> and the errorqueue; plus the IEEE 488.2 common commands. Anything else is a TSP syntax
/// error (-285) in the error queue, so a driver that drifts from the subset fails its tests instead of passing silently.
/// </summary>
public sealed partial class Keithley2600BEmulator : ILineInstrument, IScpiErrorQueueOwner
{
    /// <summary>The 2636B's largest source voltage, 200 V (2636B specifications, voltage source ranges).</summary>
    public const double MaxVoltageV = 200;

    /// <summary>The 2636B's largest DC current limit, 1.5 A (2636B specifications, current source ranges).</summary>
    public const double MaxCurrentLimitA = 1.5;

    /// <summary>The smallest current limit the emulated 2636B accepts, 10 pA (10 % of its lowest, 100 pA range).</summary>
    public const double MinCurrentLimitA = 10e-12;

    private readonly Keithley2600BBench _bench;
    private readonly ScpiInstrument _scpi;
    private readonly Dictionary<string, Channel> _channels = new(StringComparer.Ordinal) { ["smua"] = new(), ["smub"] = new() };
    private readonly Dictionary<string, List<string>> _scripts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string[] Parameters, List<string> Body)> _functions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private Timer _timer = new();
    private (string Name, List<string> Lines)? _loading;

    internal Keithley2600BEmulator(Keithley2600BBench bench, ILogger logger)
    {
        _bench = bench;

        // TSP: the IEEE 488.2 common commands plus Lua statements; a chunk stops at the failing statement.
        _scpi = new ScpiInstrument(
            new ScpiInstrumentOptions
            {
                Name = "Emulated 2636B",
                ResponseSeparator = '\n',
                AfterError = ScpiErrorPolicy.KeepEarlierResponses,
                ReplyEncoding = Encoding.UTF8,
                SystemErrorQueries = false,
            },
            logger,
            () => $"Keithley Instruments Inc., Model 2636B, {Serial}, 4.0.4",
            _ => Reset(),
            [],
            async (request, ct) => await ExecuteStatementAsync(request.Unit.Trim(), 0, ct).ConfigureAwait(false) is { } reply ? ScpiResponse.Text(reply) : null);
    }

    public string Serial { get; init; } = "04470001";

    public int ErrorCount => _scpi.Errors.Count;

    /// <summary>Names of the scripts loaded so far.</summary>
    public IReadOnlyList<string> Scripts
    {
        get
        {
            lock (_gate)
            {
                return [.. _scripts.Keys];
            }
        }
    }

    /// <summary>The largest |voltage| any channel sourced since start (levels and pulses): what the tests hold against the limits.</summary>
    public double MaxAbsVoltageV { get; private set; }

    ScpiErrorQueue IScpiErrorQueueOwner.Errors => _scpi.Errors;

    /// <summary>True when <paramref name="channel"/> has its output off and its level at 0 V.</summary>
    public bool IsOffAtZero(string channel)
    {
        lock (_gate)
        {
            return _channels[channel] is { OutputOn: false, LevelV: 0 };
        }
    }

    /// <summary>The level <paramref name="channel"/> drives, or null when its output is off.</summary>
    public double? OutputLevelV(string channel)
    {
        lock (_gate)
        {
            var c = _channels[channel];
            return c.OutputOn ? c.LevelV : null;
        }
    }

    /// <summary>The current limit of <paramref name="channel"/>.</summary>
    public double LimitA(string channel)
    {
        lock (_gate)
        {
            return _channels[channel].LimitA;
        }
    }

    public Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        // loadscript … endscript spans messages: the lines between are stored, not run (section 6, "Create a script using
        // the loadscript command").
        var line = message.Trim();
        lock (_gate)
        {
            if (_loading is { } loading)
            {
                if (line == "endscript")
                {
                    _scripts[loading.Name] = loading.Lines;
                    _loading = null;
                }
                else
                {
                    loading.Lines.Add(line);
                }

                return Task.FromResult<string?>(null);
            }

            if (LoadScript().Match(line) is { Success: true } load)
            {
                _loading = (load.Groups["name"].Value, []);
                return Task.FromResult<string?>(null);
            }
        }

        return _scpi.ExecuteTextAsync(message, cancellationToken);
    }

    /// <summary>
    /// Power off and on: channels to their defaults, and the scripts and functions loaded since are gone (a script made with
    /// loadscript lives in the run-time environment until saved; section 6, "Run-time and nonvolatile memory storage of scripts").
    /// </summary>
    public void PowerCycle()
    {
        lock (_gate)
        {
            _scripts.Clear();
            _functions.Clear();
            _loading = null;
        }

        _scpi.Errors.Clear();
        _ = Reset();
    }

    private Task Reset()
    {
        lock (_gate)
        {
            _channels["smua"] = new();
            _channels["smub"] = new();
            _timer = new();
        }

        return Task.CompletedTask;
    }

    private async Task<string?> ExecuteStatementAsync(string statement, int depth, CancellationToken cancellationToken)
    {
        switch (statement)
        {
            case "reset()":
                await Reset().ConfigureAwait(false);
                return null;
            case "waitcomplete()":
                return null;
            case "errorqueue.clear()":
                _scpi.Errors.Clear();
                return null;
            case "print(errorqueue.count)":
                return TspNumber(ErrorCount);
            case "print(errorqueue.next())":
                // errorqueue.next() returns errorCode, message, severity, errorNode; print() separates values by tabs.
                return _scpi.Errors.TryDequeue(out var e)
                    ? $"{TspNumber(e.Code)}\t{e.Message}\t{TspNumber(2)}\t{TspNumber(1)}"
                    : $"{TspNumber(0)}\tQueue Is Empty\t{TspNumber(0)}\t{TspNumber(1)}";
        }

        if (Assignment().Match(statement) is { Success: true } assign)
        {
            Assign(assign.Groups["lhs"].Value, assign.Groups["rhs"].Value.Trim(), statement);
            return null;
        }

        if (PrintBuffer().Match(statement) is { Success: true } printBuffer)
        {
            var readings = Get(printBuffer.Groups["smu"].Value, statement).Buffer;
            return readings.Count == 0
                ? throw Error(-222, $"Parameter data out of range;the buffer is empty ({statement})")
                : TspNumber(readings[0]);
        }

        if (PrintAttribute().Match(statement) is { Success: true } print)
        {
            var c = Get(print.Groups["smu"].Value, statement);
            return print.Groups["attr"].Value switch
            {
                "levelv" => TspNumber(c.LevelV),
                "limiti" => TspNumber(c.LimitA),
                _ => TspNumber(c.OutputOn ? 1 : 0),
            };
        }

        if (Call().Match(statement) is not { Success: true } call)
        {
            throw Syntax(statement);
        }

        var target = call.Groups["target"].Value;
        var args = call.Groups["args"].Value;
        if (target.EndsWith(".run", StringComparison.Ordinal) && args.Length == 0)
        {
            RunScript(target[..^4], statement);
            return null;
        }

        (string[] Parameters, List<string> Body) function;
        lock (_gate)
        {
            _functions.TryGetValue(target, out function);
        }

        if (function.Body is not null)
        {
            return await CallFunctionAsync(target, function, args, depth, statement, cancellationToken).ConfigureAwait(false);
        }

        var dot = target.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            throw Error(-285, $"TSP Syntax error;attempt to call global '{target}' (a nil value) ({statement})");
        }

        var smu = target[..dot];
        var method = target[(dot + 1)..];
        var channel = Get(smu, statement);
        switch (method)
        {
            case "reset" when args.Length == 0:
                lock (_gate)
                {
                    _channels[smu] = new();
                }

                return null;
            case "nvbuffer1.clear" when args.Length == 0:
                channel.Buffer.Clear();
                return null;
            case "trigger.source.listv":
                var list = ListLiteral().Match(args);
                channel.ListV = list.Success
                    ? [.. list.Groups["items"].Value.Split(',', StringSplitOptions.TrimEntries).Select(v => Number(v, statement))]
                    : throw Error(-222, $"Parameter data out of range;listv expects a table of voltages ({statement})");
                foreach (var v in channel.ListV)
                {
                    CheckVoltage(v, statement);
                }

                return null;
            case "trigger.measure.i" when args == $"{smu}.nvbuffer1":
                channel.TriggerMeasureBuffer = true;
                return null;
            case "measure.i" when args == $"{smu}.nvbuffer1":
                channel.Buffer.Add(smu == "smua" && channel.OutputOn ? await _bench.MeasureAsync(channel.LevelV, channel.LimitA, cancellationToken).ConfigureAwait(false) : 0);
                return null;
            case "trigger.initiate" when args.Length == 0:
                await RunTriggerModelAsync(smu, channel, statement, cancellationToken).ConfigureAwait(false);
                return null;
            default:
                throw Syntax(statement);
        }
    }

    private Channel Get(string smu, string statement)
    {
        lock (_gate)
        {
            return _channels.TryGetValue(smu, out var c) ? c : throw Error(-285, $"TSP Syntax error;attempt to index global '{smu}' (a nil value) ({statement})");
        }
    }

    private static bool Enable(string smu, string rhs, string statement) =>
        rhs == $"{smu}.ENABLE" || (rhs == $"{smu}.DISABLE" ? false : throw Syntax(statement));

    private static double CheckVoltage(double v, string statement) =>
        Math.Abs(v) <= MaxVoltageV ? v : throw Error(-222, $"Parameter data out of range;{v.ToString("R", CultureInfo.InvariantCulture)} V exceeds ±{MaxVoltageV} V ({statement})");

    private static double CheckLimit(double a, string statement) =>
        a is >= MinCurrentLimitA and <= MaxCurrentLimitA ? a : throw Error(-222, $"Parameter data out of range;current limit {a.ToString("R", CultureInfo.InvariantCulture)} A is outside {MinCurrentLimitA} A to {MaxCurrentLimitA} A ({statement})");

    private static double Number(string text, string statement) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw Error(-285, $"TSP Syntax error;'{text}' is not a number ({statement})");

    private static ScpiCommandException Syntax(string statement) => Error(-285, $"TSP Syntax error;statement not emulated: '{statement}'");

    private static ScpiCommandException Error(int code, string message) => new(code, message);

    /// <summary>TSP prints numbers in %.5e-like form (format.asciiprecision), e.g. 1.00000e-04, as the 707B emulator does.</summary>
    private static string TspNumber(double value) => value.ToString("0.00000e+00", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^loadscript\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex LoadScript();

    [GeneratedRegex(@"^function\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?<params>[^)]*)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex FunctionHeader();

    [GeneratedRegex(@"^(?<lhs>[A-Za-z_][A-Za-z0-9_.\[\]]*)\s*=\s*(?<rhs>[^=].*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Assignment();

    [GeneratedRegex(@"^(?<target>[A-Za-z_][A-Za-z0-9_.]*)\s*\((?<args>.*)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex Call();

    [GeneratedRegex(@"^\{(?<items>[^}]*)\}$", RegexOptions.CultureInvariant)]
    private static partial Regex ListLiteral();

    [GeneratedRegex(@"^printbuffer\(\s*1\s*,\s*1\s*,\s*(?<smu>smu[ab])\.nvbuffer1\.readings\s*\)$", RegexOptions.CultureInvariant)]
    private static partial Regex PrintBuffer();

    [GeneratedRegex(@"^print\(\s*(?<smu>smu[ab])\.source\.(?<attr>levelv|limiti|output)\s*\)$", RegexOptions.CultureInvariant)]
    private static partial Regex PrintAttribute();
}
