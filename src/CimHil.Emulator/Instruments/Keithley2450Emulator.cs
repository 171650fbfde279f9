using System.Globalization;
using CimHil.Emulator.Wire;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// An emulated Keithley 2450 SourceMeter speaking the subset of its SCPI command set the smu-matrix driver uses
/// (2450 reference manual 2450-901-01, section 6 "SCPI command reference"): source function, voltage level, current
/// limit, sense function, output state, <c>:READ?</c>, <c>:MEASure:CURRent?</c>, <c>:FETCh?</c>, and the
/// <c>SimpleLoop</c> trigger-model template (<c>:TRIGger:LOAD "SimpleLoop", count, delay</c>, <c>:INITiate</c>) that
/// times a pulse. Errors go to the SCPI error queue (<c>:SYSTem:ERRor?</c>), a failed query is answered by silence.
/// </summary>
public sealed class Keithley2450Emulator : ILineInstrument
{
    /// <summary>The 2450's largest current limit, 1.05 A (2450 specifications, source current ranges).</summary>
    public const double MaxCurrentLimitA = 1.05;

    /// <summary>The 2450's largest voltage, 210 V (2450 specifications, source voltage ranges).</summary>
    public const double MaxVoltageV = 210;

    /// <summary>Current limit after *RST: 105 µA (2450 reference manual, :SOURce:VOLTage:ILIMit default).</summary>
    public const double DefaultCurrentLimitA = 105e-6;

    private readonly SmuMatrixBench _bench;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<(int Code, string Message)> _errors = new();
    private readonly (ScpiHeader Header, Func<string[], CancellationToken, Task<string?>> Handler)[] _commands;
    private volatile bool _outputOn;
    private double _levelV;
    private double _limitA = DefaultCurrentLimitA;
    private string _sourceFunction = "VOLT";
    private string _senseFunction = "CURR";
    private int _loopCount = 1;
    private double _loopDelaySeconds;
    private bool _loopLoaded;
    private double? _lastReadingA;

    internal Keithley2450Emulator(SmuMatrixBench bench, ILogger logger)
    {
        _bench = bench;
        _logger = logger;
        _commands =
        [
            (new("*IDN?"), (_, _) => Reply($"KEITHLEY INSTRUMENTS,MODEL 2450,{Serial},1.7.12b")),
            (new("*RST"), (_, _) => Reset()),
            (new("*CLS"), (_, _) => Clear()),
            (new("*OPC?"), (_, _) => Reply("1")),
            (new("*OPC"), (_, _) => None()),
            (new("*WAI"), (_, _) => None()),
            (new("SYSTem:ERRor[:NEXT]?"), (_, _) => Reply(NextError())),
            (new("[SOURce]:FUNCtion[:MODE]"), (p, _) => SetSourceFunction(p)),
            (new("[SOURce]:FUNCtion[:MODE]?"), (_, _) => Reply(_sourceFunction)),
            (new("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]"), (p, _) => SetLevel(p)),
            (new("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?"), (_, _) => Reply(Num(SourceLevelV))),
            (new("[SOURce]:VOLTage:ILIMit[:LEVel]"), (p, _) => SetLimit(p)),
            (new("[SOURce]:VOLTage:ILIMit[:LEVel]?"), (_, _) => Reply(Num(CurrentLimitA))),
            (new("[SENSe]:FUNCtion[:ON]"), (p, _) => SetSenseFunction(p)),
            (new("[SENSe]:FUNCtion[:ON]?"), (_, _) => Reply($"\"{_senseFunction}:DC\"")),
            (new("OUTPut[:STATe]"), (p, _) => SetOutput(p)),
            (new("OUTPut[:STATe]?"), (_, _) => Reply(_outputOn ? "1" : "0")),
            (new("READ?"), (_, ct) => MeasureAsync(ct)),
            (new("MEASure:CURRent[:DC]?"), (_, ct) => MeasureAsync(ct)),
            (new("FETCh?"), (_, _) => _lastReadingA is { } r ? Reply(Num(r)) : throw new CommandError(-230, "Data corrupt or stale;no reading in the buffer")),
            (new("TRIGger:LOAD"), (p, _) => LoadTriggerModel(p)),
            (new("INITiate[:IMMediate]"), (_, ct) => RunTriggerModelAsync(ct)),
            (new("ABORt"), (_, _) => None()),
        ];
    }

    /// <summary>Serial number reported by *IDN?.</summary>
    public string Serial { get; init; } = "04390001";

    public bool OutputOn => _outputOn;

    public double SourceLevelV
    {
        get
        {
            lock (_gate)
            {
                return _levelV;
            }
        }
    }

    public double CurrentLimitA
    {
        get
        {
            lock (_gate)
            {
                return _limitA;
            }
        }
    }

    /// <summary>Errors waiting in the error queue.</summary>
    public int ErrorCount
    {
        get
        {
            lock (_gate)
            {
                return _errors.Count;
            }
        }
    }

    public async Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        var replies = new List<string>();
        foreach (var unit in ScpiText.SplitOutsideQuotes(message, ';'))
        {
            if (unit.Length == 0)
            {
                continue;
            }

            try
            {
                if (await ExecuteUnitAsync(unit, cancellationToken).ConfigureAwait(false) is { } reply)
                {
                    replies.Add(reply);
                }
            }
            catch (CommandError ex)
            {
                lock (_gate)
                {
                    if (_errors.Count < 32)
                    {
                        _errors.Enqueue((ex.Code, ex.Message));
                    }
                }

                _logger.Debug("Emulated 2450: {Command} failed with {Code} {Message}", unit, ex.Code, ex.Message);
                return null;
            }
        }

        return replies.Count == 0 ? null : string.Join(';', replies);
    }

    private async Task<string?> ExecuteUnitAsync(string unit, CancellationToken cancellationToken)
    {
        var space = unit.IndexOfAny([' ', '\t']);
        var header = space < 0 ? unit : unit[..space];
        var parameters = space < 0 ? [] : ScpiText.SplitOutsideQuotes(unit[(space + 1)..], ',').ToArray();
        var isQuery = header.EndsWith('?');
        var tokens = (isQuery ? header[..^1] : header).TrimStart(':').Split(':');
        foreach (var (pattern, handler) in _commands)
        {
            if (pattern.Matches(tokens, isQuery))
            {
                return await handler(parameters, cancellationToken).ConfigureAwait(false);
            }
        }

        throw new CommandError(-113, $"Undefined header;{header}");
    }

    private Task<string?> Reset()
    {
        lock (_gate)
        {
            _outputOn = false;
            _levelV = 0;
            _limitA = DefaultCurrentLimitA;
            _sourceFunction = "VOLT";
            _senseFunction = "CURR";
            _loopLoaded = false;
            _lastReadingA = null;
        }

        return None();
    }

    private Task<string?> Clear()
    {
        lock (_gate)
        {
            _errors.Clear();
        }

        return None();
    }

    private Task<string?> SetSourceFunction(string[] p)
    {
        Count(p, 1, 1);
        _sourceFunction = p[0].ToUpperInvariant() switch
        {
            "VOLT" or "VOLTAGE" => "VOLT",
            "CURR" or "CURRENT" => throw new CommandError(-221, "Settings conflict;the emulated 2450 sources voltage only"),
            var other => throw new CommandError(-224, $"Illegal parameter value;source function '{other}'"),
        };
        return None();
    }

    private Task<string?> SetLevel(string[] p)
    {
        Count(p, 1, 1);
        var v = Double(p[0], "voltage level");
        if (Math.Abs(v) > MaxVoltageV)
        {
            throw new CommandError(-222, $"Data out of range;{Num(v)} V exceeds ±{MaxVoltageV} V");
        }

        lock (_gate)
        {
            _levelV = v;
        }

        return None();
    }

    private Task<string?> SetLimit(string[] p)
    {
        Count(p, 1, 1);
        var i = Double(p[0], "current limit");
        if (i < 1e-9 || i > MaxCurrentLimitA)
        {
            throw new CommandError(-222, $"Data out of range;current limit {Num(i)} A must be 1e-9 to {MaxCurrentLimitA} A");
        }

        lock (_gate)
        {
            _limitA = i;
        }

        return None();
    }

    private Task<string?> SetSenseFunction(string[] p)
    {
        Count(p, 1, 1);
        var f = p[0].Trim('"', '\'').ToUpperInvariant();
        _senseFunction = f switch
        {
            "CURR" or "CURR:DC" or "CURRENT" or "CURRENT:DC" => "CURR",
            "VOLT" or "VOLT:DC" or "VOLTAGE" or "VOLTAGE:DC" => "VOLT",
            _ => throw new CommandError(-224, $"Illegal parameter value;sense function {p[0]}"),
        };
        return None();
    }

    private Task<string?> SetOutput(string[] p)
    {
        Count(p, 1, 1);
        _outputOn = p[0].ToUpperInvariant() switch
        {
            "ON" or "1" => true,
            "OFF" or "0" => false,
            var other => throw new CommandError(-224, $"Illegal parameter value;output state '{other}'"),
        };
        return None();
    }

    private Task<string?> LoadTriggerModel(string[] p)
    {
        Count(p, 1, 4);
        if (!string.Equals(p[0].Trim('"', '\''), "SimpleLoop", StringComparison.OrdinalIgnoreCase))
        {
            throw new CommandError(-224, $"Illegal parameter value;the emulated 2450 knows the SimpleLoop template only, not {p[0]}");
        }

        var count = p.Length > 1 ? (int)Double(p[1], "count") : 1;
        var delay = p.Length > 2 ? Double(p[2], "delay") : 0;
        if (count < 1 || count > 1000 || delay < 0 || delay > 10_000)
        {
            throw new CommandError(-222, $"Data out of range;SimpleLoop count {count} (1–1000), delay {Num(delay)} s (0–10000)");
        }

        lock (_gate)
        {
            _loopCount = count;
            _loopDelaySeconds = delay;
            _loopLoaded = true;
        }

        return None();
    }

    /// <summary>SimpleLoop: per iteration, hold the source for the delay (the pulse), then measure (2450 manual, "Trigger model templates").</summary>
    private async Task<string?> RunTriggerModelAsync(CancellationToken cancellationToken)
    {
        int count;
        double delay, level, limit;
        lock (_gate)
        {
            if (!_loopLoaded)
            {
                throw new CommandError(-200, "Execution error;no trigger model loaded");
            }

            (count, delay, level, limit) = (_loopCount, _loopDelaySeconds, _levelV, _limitA);
        }

        for (var i = 0; i < count; i++)
        {
            if (_outputOn && delay > 0)
            {
                await _bench.PulseAsync(level, delay, limit, cancellationToken).ConfigureAwait(false);
            }

            await MeasureAsync(cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async Task<string?> MeasureAsync(CancellationToken cancellationToken)
    {
        if (_senseFunction != "CURR")
        {
            throw new CommandError(-221, "Settings conflict;the emulated 2450 measures current only");
        }

        double level, limit;
        lock (_gate)
        {
            (level, limit) = (_levelV, _limitA);
        }

        // With the output off the output relay is open: no current flows.
        var (currentA, _) = _outputOn ? await _bench.MeasureAsync(level, limit, cancellationToken).ConfigureAwait(false) : (0.0, false);
        lock (_gate)
        {
            _lastReadingA = currentA;
        }

        return Num(currentA);
    }

    private string NextError()
    {
        lock (_gate)
        {
            if (_errors.Count == 0)
            {
                return "0,\"No error\"";
            }

            var (code, message) = _errors.Dequeue();
            return $"{code.ToString(CultureInfo.InvariantCulture)},\"{message.Replace('"', '\'')}\"";
        }
    }

    private static void Count(string[] p, int min, int max)
    {
        if (p.Length < min || p.Any(x => x.Length == 0))
        {
            throw new CommandError(-109, "Missing parameter");
        }

        if (p.Length > max)
        {
            throw new CommandError(-108, "Parameter not allowed");
        }
    }

    private static double Double(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new CommandError(-104, $"Data type error;{what} '{text}' is not a number");

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static Task<string?> Reply(string text) => Task.FromResult<string?>(text);

    private static Task<string?> None() => Task.FromResult<string?>(null);
}

/// <summary>A command an emulated instrument rejected: SCPI-99 error code and queue text.</summary>
internal sealed class CommandError(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}

/// <summary>Splitting of program messages that respects quoted strings.</summary>
internal static class ScpiText
{
    public static IEnumerable<string> SplitOutsideQuotes(string text, char separator)
    {
        var start = 0;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (quote is null && ch is '"' or '\'')
            {
                quote = ch;
            }
            else if (quote == ch)
            {
                quote = null;
            }
            else if (quote is null && ch == separator)
            {
                yield return text[start..i].Trim();
                start = i + 1;
            }
        }

        yield return text[start..].Trim();
    }

    public static string Unquote(string text)
    {
        var t = text.Trim();
        return t.Length >= 2 && (t[0] == '"' || t[0] == '\'') && t[^1] == t[0] ? t[1..^1] : t;
    }
}
