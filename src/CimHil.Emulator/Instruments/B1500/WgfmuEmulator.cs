using System.Globalization;
using System.Text;
using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Emulator.Instruments.B1500;

/// <summary>
/// An emulated Keysight B1530A WGFMU (two channels, <c>slot·100 + 1</c> and <c>+ 2</c>) behind the call-line protocol of
/// docs/wgfmu-standin.md: each line is one call of the instrument library (wgfmu.h), answered with its status and outputs.
/// Patterns are piecewise-linear voltage waveforms (createPattern/addVector), sequences play them on a channel, measure
/// events sample the channel in Fast IV mode, and execute plays every channel at once through the emulated 707B matrix:
/// channel 1 sits on the matrix HI row, channel 2 on the LO row, and the cell between them sees V₁(t) − V₂(t).
/// </summary>
/// <remarks>
/// What the emulator makes of a waveform: every excursion of the cell voltage away from 0 V is one event, in time order.
/// An excursion with a measure event whose peak stays at or below <see cref="B1500Bench.ReadThresholdV"/> is a read: each
/// sample reads the cell at the voltage of that instant, with no disturb. Any other excursion is a pulse whose amplitude is
/// the peak and whose width is the full width at half maximum; a positive pulse on a pristine RRAM cell is a forming
/// attempt. Measure events during a pulse sample the current at the end state. Currents follow the WGFMU sign convention
/// (positive out of the channel terminal: the LO channel measures −I_cell) and clip at the channel's current range, which
/// is also the compliance the pulse sees (the real WGFMU has no current limit; the b1500 driver picks the range for it).
/// Idealisations: no RC settling, averaged samples read once, raw-data mode refused, the sequencer completes at once.
/// Status codes: wgfmu.h WGFMU_PARAMETER_OUT_OF_RANGE_ERROR (−1) and WGFMU_CONTEXT_ERROR (−3); the text is served to
/// WGFMU_getErrorSize/WGFMU_getError.
/// </remarks>
public sealed partial class WgfmuEmulator : ILineInstrument
{
    private const int ParameterOutOfRange = -1;
    private const int ContextError = -3;
    private const int FastIvMode = 2001;
    private const int CurrentMeasureMode = 4001;

    /// <summary>The channel settings that take one wgfmu.h constant from a range: the call, the range, what it sets.</summary>
    private static readonly Dictionary<string, (int Min, int Max, string What, Action<WgfmuChannel, int> Set)> ChannelSettings = new(StringComparer.Ordinal)
    {
        ["WGFMU_setOperationMode"] = (2000, 2003, "operation mode", (c, code) => c.Mode = code),
        ["WGFMU_setForceVoltageRange"] = (3000, 3004, "force voltage range", (c, code) => c.ForceRange = code),
        ["WGFMU_setMeasureMode"] = (4000, 4001, "measure mode", (c, code) => c.MeasureMode = code),
        ["WGFMU_setMeasureCurrentRange"] = (6001, 6005, "current range", (c, code) => c.CurrentRange = code),
    };

    private readonly B1500Bench _bench;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, WgfmuChannel> _channels = [];
    private readonly Dictionary<string, WgfmuPattern> _patterns = new(StringComparer.Ordinal);
    private string _lastError = "";
    private string? _failOn;

    internal WgfmuEmulator(B1500Bench bench, int slot, ILogger logger)
    {
        _bench = bench;
        _logger = logger;
        HiChannelId = (slot * 100) + 1;
        LoChannelId = (slot * 100) + 2;
        _channels[HiChannelId] = new WgfmuChannel();
        _channels[LoChannelId] = new WgfmuChannel();
    }

    /// <summary>The channel cabled to the matrix HI row (word line side).</summary>
    public int HiChannelId { get; }

    /// <summary>The channel cabled to the matrix LO row (bit line side).</summary>
    public int LoChannelId { get; }

    /// <summary>WGFMU_execute calls that ran.</summary>
    public int Executions { get; private set; }

    /// <summary>WGFMU_initialize calls received.</summary>
    public int Initializations { get; private set; }

    /// <summary>True when both channels output 0 V with their output relays open.</summary>
    public bool IsSafe
    {
        get
        {
            lock (_gate)
            {
                return _channels.Values.All(c => c.OutputV == 0 && !c.Connected);
            }
        }
    }

    /// <summary>The output voltage a channel holds now.</summary>
    public double OutputV(int channelId)
    {
        lock (_gate)
        {
            return _channels[channelId].OutputV;
        }
    }

    /// <summary>Whether a channel's output relay is closed.</summary>
    public bool IsConnected(int channelId)
    {
        lock (_gate)
        {
            return _channels[channelId].Connected;
        }
    }

    /// <summary>Every channel to 0 V and, with <paramref name="disconnect"/>, its output relay open (mainframe CL / DZ).</summary>
    internal void Reset(bool disconnect)
    {
        lock (_gate)
        {
            foreach (var c in _channels.Values)
            {
                c.OutputV = 0;
                c.Connected &= !disconnect;
            }
        }
    }

    /// <summary>Fault injection for safety tests: the next call of <paramref name="function"/> fails with WGFMU_CONTEXT_ERROR.</summary>
    public void FailNext(string function)
    {
        lock (_gate)
        {
            _failOn = function;
        }
    }

    public async Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        var args = message.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (args.Length == 0)
        {
            return Fail(ParameterOutOfRange, "empty call line");
        }

        var function = args[0];
        try
        {
            lock (_gate)
            {
                if (_failOn == function)
                {
                    _failOn = null;
                    return Fail(ContextError, $"{function}: emulated instrument fault");
                }
            }

            return function == "WGFMU_execute"
                ? await ExecuteSequencesAsync(cancellationToken).ConfigureAwait(false)
                : Call(function, args);
        }
        catch (WgfmuCallException ex)
        {
            _logger.Debug("Emulated WGFMU: {Call} failed with {Status} {Message}", message, ex.Status, ex.Message);
            return Fail(ex.Status, $"{function}: {ex.Message}");
        }
    }

    private string Fail(int status, string text)
    {
        lock (_gate)
        {
            _lastError = text;
        }

        return status.ToString(CultureInfo.InvariantCulture);
    }

    private string Call(string function, string[] a)
    {
        lock (_gate)
        {
            switch (function)
            {
                case "WGFMU_openSession":
                case "WGFMU_closeSession":
                case "WGFMU_waitUntilCompleted":
                    return "0";
                case "WGFMU_setTimeout":
                    Positive(Double(a, 1), "timeout");
                    return "0";
                case "WGFMU_initialize":
                    Initializations++;
                    foreach (var c in _channels.Values)
                    {
                        c.OutputV = 0;
                        c.Connected = false;
                    }

                    return "0";
                case "WGFMU_clear":
                    _patterns.Clear();
                    foreach (var c in _channels.Values)
                    {
                        c.Sequence.Clear();
                        c.Samples.Clear();
                    }

                    return "0";
                case "WGFMU_getErrorSize":
                    return $"0 {_lastError.Length}";
                case "WGFMU_getError":
                    {
                        var text = _lastError;
                        _lastError = "";
                        return $"0 {text.Length} {text}";
                    }

                case "WGFMU_getChannelIdSize":
                    return $"0 {_channels.Count}";
                case "WGFMU_getChannelIds":
                    return $"0 {_channels.Count} {string.Join(' ', _channels.Keys.Select(k => k.ToString(CultureInfo.InvariantCulture)))}";
                case var setter when ChannelSettings.TryGetValue(setter, out var setting):
                    setting.Set(ChannelOf(a), Code(a, 2, setting.Min, setting.Max, setting.What));
                    return "0";
                case "WGFMU_createPattern":
                    {
                        var name = Name(a, 1);
                        if (_patterns.ContainsKey(name))
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, $"pattern \"{name}\" already exists");
                        }

                        _patterns[name] = new WgfmuPattern(Voltage(Double(a, 2)));
                        return "0";
                    }

                case "WGFMU_addVector":
                    {
                        var p = PatternOf(a, 1);
                        var dt = Double(a, 2);
                        if (!(dt >= 1e-8))
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, $"delta time {Num(dt)} s is below the 10 ns resolution");
                        }

                        p.Points.Add((p.Duration + dt, Voltage(Double(a, 3))));
                        return "0";
                    }

                case "WGFMU_setMeasureEvent":
                    {
                        var p = PatternOf(a, 1);
                        var e = new WgfmuMeasureEvent(Name(a, 2), Double(a, 3), Int(a, 4), Double(a, 5), Double(a, 6));
                        var raw = Int(a, 7);
                        if (raw != 12000)
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, "only averaged measure events (WGFMU_MEASURE_EVENT_DATA_AVERAGED) are emulated");
                        }

                        if (e.Points < 1 || e.Time < 0 || e.Average < 0 || (e.Points > 1 && !(e.Interval > 0))
                            || e.Time + ((e.Points - 1) * e.Interval) + e.Average > p.Duration + 1e-15)
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, $"measure event \"{e.Name}\" does not fit pattern \"{a[1].Trim('"')}\" of {Num(p.Duration)} s");
                        }

                        p.Events.Add(e);
                        return "0";
                    }

                case "WGFMU_addSequence":
                    {
                        var c = ChannelOf(a);
                        var name = Name(a, 2);
                        if (!_patterns.ContainsKey(name))
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, $"pattern \"{name}\" is not defined");
                        }

                        var count = Double(a, 3);
                        if (!(count >= 1) || count != Math.Floor(count))
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, $"loop count {Num(count)} is not a positive integer");
                        }

                        c.Sequence.Add((name, (int)count));
                        return "0";
                    }

                case "WGFMU_connect":
                    ChannelOf(a).Connected = true;
                    return "0";
                case "WGFMU_disconnect":
                    {
                        var c = ChannelOf(a);
                        c.Connected = false;
                        return "0";
                    }

                case "WGFMU_getMeasureValueSize":
                    {
                        var n = ChannelOf(a).Samples.Count;
                        return $"0 {n} {n}";
                    }

                case "WGFMU_getMeasureValues":
                    {
                        var samples = ChannelOf(a).Samples;
                        var offset = Int(a, 2);
                        var size = Int(a, 3);
                        if (offset < 0 || size < 0 || offset + size > samples.Count)
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, $"samples {offset}..{offset + size - 1} requested, {samples.Count} measured");
                        }

                        var reply = new StringBuilder($"0 {size}");
                        foreach (var (t, v) in samples.Skip(offset).Take(size))
                        {
                            reply.Append(' ').Append(Num(t)).Append(' ').Append(Num(v));
                        }

                        return reply.ToString();
                    }

                default:
                    throw new WgfmuCallException(ParameterOutOfRange, "not a WGFMU library function the emulator knows");
            }
        }
    }

    /// <summary>WGFMU_execute: plays every channel's sequence through the matrix onto the array (see remarks).</summary>

    private WgfmuChannel ChannelOf(string[] a) =>
        _channels.TryGetValue(Int(a, 1), out var c) ? c : throw new WgfmuCallException(ParameterOutOfRange, $"channel {a[1]} is not installed (channels {string.Join(", ", _channels.Keys)})");

    private WgfmuPattern PatternOf(string[] a, int i)
    {
        var name = Name(a, i);
        return _patterns.TryGetValue(name, out var p) ? p : throw new WgfmuCallException(ParameterOutOfRange, $"pattern \"{name}\" is not defined");
    }

    private static string Name(string[] a, int i)
    {
        var text = Arg(a, i);
        return text.Length >= 2 && text[0] == '"' && text[^1] == '"' ? text[1..^1] : throw new WgfmuCallException(ParameterOutOfRange, $"argument {i} '{text}' is not a quoted name");
    }

    private static int Code(string[] a, int i, int min, int max, string what)
    {
        var code = Int(a, i);
        return code >= min && code <= max ? code : throw new WgfmuCallException(ParameterOutOfRange, $"{code} is not a {what} constant ({min}–{max})");
    }

    private static int Int(string[] a, int i) =>
        int.TryParse(Arg(a, i), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new WgfmuCallException(ParameterOutOfRange, $"argument {i} '{a[i]}' is not an integer");

    private static double Double(string[] a, int i) =>
        double.TryParse(Arg(a, i), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : throw new WgfmuCallException(ParameterOutOfRange, $"argument {i} '{a[i]}' is not a number");

    private static string Arg(string[] a, int i) => i < a.Length ? a[i] : throw new WgfmuCallException(ParameterOutOfRange, $"argument {i} is missing");

    private static double Voltage(double v) => Math.Abs(v) <= 10 ? v : throw new WgfmuCallException(ParameterOutOfRange, $"{Num(v)} V is outside the WGFMU's ±10 V");

    private static void Positive(double v, string what)
    {
        if (!(v > 0))
        {
            throw new WgfmuCallException(ParameterOutOfRange, $"{what} {Num(v)} must be positive");
        }
    }

    private static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
