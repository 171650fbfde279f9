using System.Globalization;
using System.Text;
using CimHil.Emulator.Scpi;
using Serilog;
using static CimHil.Emulator.Scpi.ScpiResponse;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// An emulated Keithley 2450 SourceMeter speaking the subset of its SCPI command set the smu-matrix driver uses
/// (2450 reference manual 2450-901-01, section 6 "SCPI command reference"): source function, voltage level, current
/// limit, sense function, output state, <c>:READ?</c>, <c>:MEASure:CURRent?</c>, <c>:FETCh?</c>, and the
/// <c>SimpleLoop</c> trigger-model template (<c>:TRIGger:LOAD "SimpleLoop", count, delay</c>, <c>:INITiate</c>) that
/// times a pulse. Errors go to the SCPI error queue (<c>:SYSTem:ERRor?</c>), a failed query is answered by silence.
/// </summary>
public sealed class Keithley2450Emulator : ILineInstrument, IScpiErrorQueueOwner
{
    /// <summary>The 2450's largest current limit, 1.05 A (2450 specifications, source current ranges).</summary>
    public const double MaxCurrentLimitA = 1.05;

    /// <summary>The 2450's largest voltage, 210 V (2450 specifications, source voltage ranges).</summary>
    public const double MaxVoltageV = 210;

    /// <summary>Current limit after *RST: 105 µA (2450 reference manual, :SOURce:VOLTage:ILIMit default).</summary>
    public const double DefaultCurrentLimitA = 105e-6;

    private readonly SmuMatrixBench _bench;
    private readonly Lock _gate = new();
    private readonly ScpiInstrument _scpi;
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
        ScpiCommand[] commands =
        [
            new("[SOURce]:FUNCtion[:MODE]", (r, _) => SetSourceFunction(r.Parameters)),
            new("[SOURce]:FUNCtion[:MODE]?", (_, _) => TextTask(_sourceFunction)),
            new("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]", (r, _) => SetLevel(r)),
            new("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?", (_, _) => TextTask(Num(SourceLevelV))),
            new("[SOURce]:VOLTage:ILIMit[:LEVel]", (r, _) => SetLimit(r)),
            new("[SOURce]:VOLTage:ILIMit[:LEVel]?", (_, _) => TextTask(Num(CurrentLimitA))),
            new("[SENSe]:FUNCtion[:ON]", (r, _) => SetSenseFunction(r.Parameters)),
            new("[SENSe]:FUNCtion[:ON]?", (_, _) => TextTask($"\"{_senseFunction}:DC\"")),
            new("OUTPut[:STATe]", (r, _) => SetOutput(r.Parameters)),
            new("OUTPut[:STATe]?", (_, _) => TextTask(_outputOn ? "1" : "0")),
            new("READ?", (_, ct) => MeasureAsync(ct)),
            new("MEASure:CURRent[:DC]?", (_, ct) => MeasureAsync(ct)),
            new("FETCh?", (_, _) => _lastReadingA is { } r ? TextTask(Num(r)) : throw new ScpiCommandException(-230, "Data corrupt or stale;no reading in the buffer")),
            new("TRIGger:LOAD", (r, _) => LoadTriggerModel(r)),
            new("INITiate[:IMMediate]", (_, ct) => RunTriggerModelAsync(ct)),
            new("ABORt", (_, _) => None),
        ];

        // Replies are text to the caller; UTF-8 carries an error text's "±" to it unchanged (the server sends ASCII).
        _scpi = new ScpiInstrument(
            new ScpiInstrumentOptions { Name = "Emulated 2450", ReplyEncoding = Encoding.UTF8 },
            logger,
            () => $"KEITHLEY INSTRUMENTS,MODEL 2450,{Serial},1.7.12b",
            _ => Reset(),
            commands);
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
    public int ErrorCount => _scpi.Errors.Count;

    public Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken) => _scpi.ExecuteTextAsync(message, cancellationToken);

    ScpiErrorQueue IScpiErrorQueueOwner.Errors => _scpi.Errors;

    private Task Reset()
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

        return Task.CompletedTask;
    }

    private Task<ScpiResponse?> SetSourceFunction(string[] p)
    {
        Count(p, 1, 1);
        _sourceFunction = p[0].ToUpperInvariant() switch
        {
            "VOLT" or "VOLTAGE" => "VOLT",
            "CURR" or "CURRENT" => throw new ScpiCommandException(-221, "Settings conflict;the emulated 2450 sources voltage only"),
            var other => throw new ScpiCommandException(-224, $"Illegal parameter value;source function '{other}'"),
        };
        return None;
    }

    private Task<ScpiResponse?> SetLevel(ScpiRequest r)
    {
        Count(r.Parameters, 1, 1);
        var v = r.Double(0, "voltage level");
        if (Math.Abs(v) > MaxVoltageV)
        {
            throw new ScpiCommandException(-222, $"Data out of range;{Num(v)} V exceeds ±{MaxVoltageV} V");
        }

        lock (_gate)
        {
            _levelV = v;
        }

        return None;
    }

    private Task<ScpiResponse?> SetLimit(ScpiRequest r)
    {
        Count(r.Parameters, 1, 1);
        var i = r.Double(0, "current limit");
        if (i < 1e-9 || i > MaxCurrentLimitA)
        {
            throw new ScpiCommandException(-222, $"Data out of range;current limit {Num(i)} A must be 1e-9 to {MaxCurrentLimitA} A");
        }

        lock (_gate)
        {
            _limitA = i;
        }

        return None;
    }

    private Task<ScpiResponse?> SetSenseFunction(string[] p)
    {
        Count(p, 1, 1);
        var f = p[0].Trim('"', '\'').ToUpperInvariant();
        _senseFunction = f switch
        {
            "CURR" or "CURR:DC" or "CURRENT" or "CURRENT:DC" => "CURR",
            "VOLT" or "VOLT:DC" or "VOLTAGE" or "VOLTAGE:DC" => "VOLT",
            _ => throw new ScpiCommandException(-224, $"Illegal parameter value;sense function {p[0]}"),
        };
        return None;
    }

    private Task<ScpiResponse?> SetOutput(string[] p)
    {
        Count(p, 1, 1);
        _outputOn = p[0].ToUpperInvariant() switch
        {
            "ON" or "1" => true,
            "OFF" or "0" => false,
            var other => throw new ScpiCommandException(-224, $"Illegal parameter value;output state '{other}'"),
        };
        return None;
    }

    private Task<ScpiResponse?> LoadTriggerModel(ScpiRequest r)
    {
        var p = r.Parameters;
        Count(p, 1, 4);
        if (!string.Equals(p[0].Trim('"', '\''), "SimpleLoop", StringComparison.OrdinalIgnoreCase))
        {
            throw new ScpiCommandException(-224, $"Illegal parameter value;the emulated 2450 knows the SimpleLoop template only, not {p[0]}");
        }

        var count = p.Length > 1 ? (int)r.Double(1, "count") : 1;
        var delay = p.Length > 2 ? r.Double(2, "delay") : 0;
        if (count < 1 || count > 1000 || delay < 0 || delay > 10_000)
        {
            throw new ScpiCommandException(-222, $"Data out of range;SimpleLoop count {count} (1–1000), delay {Num(delay)} s (0–10000)");
        }

        lock (_gate)
        {
            _loopCount = count;
            _loopDelaySeconds = delay;
            _loopLoaded = true;
        }

        return None;
    }

    /// <summary>SimpleLoop: per iteration, hold the source for the delay (the pulse), then measure (2450 manual, "Trigger model templates").</summary>
    private async Task<ScpiResponse?> RunTriggerModelAsync(CancellationToken cancellationToken)
    {
        int count;
        double delay, level, limit;
        lock (_gate)
        {
            if (!_loopLoaded)
            {
                throw new ScpiCommandException(-200, "Execution error;no trigger model loaded");
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

    private async Task<ScpiResponse?> MeasureAsync(CancellationToken cancellationToken)
    {
        if (_senseFunction != "CURR")
        {
            throw new ScpiCommandException(-221, "Settings conflict;the emulated 2450 measures current only");
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

        return ScpiResponse.Text(Num(currentA));
    }

    private static void Count(string[] p, int min, int max)
    {
        if (p.Length < min || p.Any(x => x.Length == 0))
        {
            throw new ScpiCommandException(-109, "Missing parameter");
        }

        if (p.Length > max)
        {
            throw new ScpiCommandException(-108, "Parameter not allowed");
        }
    }

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
