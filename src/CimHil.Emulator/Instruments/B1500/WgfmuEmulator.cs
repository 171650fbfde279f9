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
public sealed class WgfmuEmulator : ILineInstrument
{
    private const int ParameterOutOfRange = -1;
    private const int ContextError = -3;
    private const int FastIvMode = 2001;
    private const int CurrentMeasureMode = 4001;

    private readonly B1500Bench _bench;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, Channel> _channels = [];
    private readonly Dictionary<string, Pattern> _patterns = new(StringComparer.Ordinal);
    private string _lastError = "";
    private string? _failOn;

    internal WgfmuEmulator(B1500Bench bench, int slot, ILogger logger)
    {
        _bench = bench;
        _logger = logger;
        HiChannelId = (slot * 100) + 1;
        LoChannelId = (slot * 100) + 2;
        _channels[HiChannelId] = new Channel();
        _channels[LoChannelId] = new Channel();
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
                case "WGFMU_setOperationMode":
                    ChannelOf(a).Mode = Code(a, 2, 2000, 2003, "operation mode");
                    return "0";
                case "WGFMU_setForceVoltageRange":
                    ChannelOf(a).ForceRange = Code(a, 2, 3000, 3004, "force voltage range");
                    return "0";
                case "WGFMU_setMeasureMode":
                    ChannelOf(a).MeasureMode = Code(a, 2, 4000, 4001, "measure mode");
                    return "0";
                case "WGFMU_setMeasureCurrentRange":
                    ChannelOf(a).CurrentRange = Code(a, 2, 6001, 6005, "current range");
                    return "0";
                case "WGFMU_createPattern":
                    {
                        var name = Name(a, 1);
                        if (_patterns.ContainsKey(name))
                        {
                            throw new WgfmuCallException(ParameterOutOfRange, $"pattern \"{name}\" already exists");
                        }

                        _patterns[name] = new Pattern(Voltage(Double(a, 2)));
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
                        var e = new MeasureEvent(Name(a, 2), Double(a, 3), Int(a, 4), Double(a, 5), Double(a, 6));
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
    private async Task<string> ExecuteSequencesAsync(CancellationToken cancellationToken)
    {
        Waveform hi, lo;
        List<(int Channel, double Time, MeasureEvent Event)> events = [];
        Channel hiChannel, loChannel;
        lock (_gate)
        {
            foreach (var (id, c) in _channels)
            {
                if (c.Sequence.Count == 0)
                {
                    continue;
                }

                if (!c.Connected)
                {
                    throw new WgfmuCallException(ContextError, $"channel {id} has a sequence but its output relay is open (WGFMU_connect)");
                }

                if (c.Mode != FastIvMode)
                {
                    throw new WgfmuCallException(ContextError, $"channel {id} is not in Fast IV mode (WGFMU_setOperationMode 2001)");
                }
            }

            hiChannel = _channels[HiChannelId];
            loChannel = _channels[LoChannelId];
            hi = Build(HiChannelId, hiChannel, events);
            lo = Build(LoChannelId, loChannel, events);
            foreach (var c in _channels.Values)
            {
                c.Samples.Clear();
            }

            Executions++;
        }

        // The cell sees V_HI − V_LO only while both relays are closed; otherwise the array floats.
        var both = hiChannel.Connected && loChannel.Connected;
        double Cell(double t) => both ? hi.At(t) - lo.At(t) : 0;
        var times = hi.Points.Select(p => p.T).Concat(lo.Points.Select(p => p.T)).Distinct().Order().ToList();
        events.Sort((x, y) => x.Time.CompareTo(y.Time));
        var complianceA = RangeA(loChannel.CurrentRange);
        var driven = _bench.Matrix.DrivenCells(_bench.Chip.Geometry, out var shorted);
        var samples = new List<(int Channel, double T, double Value)>();
        var i = 0;
        while (i < times.Count - 1)
        {
            if (Cell(times[i]) == 0 && Cell(times[i + 1]) == 0)
            {
                i++;
                continue;
            }

            // One excursion: from times[start] until the cell voltage is back at 0 V (or the waveform ends).
            var start = i;
            var end = i + 1;
            while (end < times.Count - 1 && Cell(times[end]) != 0)
            {
                end++;
            }

            var (t0, t1) = (times[start], times[end]);
            var peak = times.Skip(start).Take(end - start + 1).Select(Cell).MaxBy(Math.Abs);
            var inside = events.Where(x => x.Time >= t0 && x.Time <= t1).ToList();
            var isRead = inside.Count > 0 && Math.Abs(peak) <= _bench.ReadThresholdV;
            FormingResult? formed = null;
            if (!isRead && !shorted)
            {
                formed = await PulseAsync(driven, peak, Fwhm(times, start, end, Cell, peak), complianceA, cancellationToken).ConfigureAwait(false);
            }

            foreach (var (channel, t, _) in inside)
            {
                samples.Add((channel, t, await SampleAsync(channel, t, Cell(t), driven, shorted, formed, channel == HiChannelId ? hiChannel : loChannel, cancellationToken).ConfigureAwait(false)));
            }

            i = end;
        }

        // Samples outside any excursion see 0 V across the cell.
        foreach (var (channel, t, _) in events)
        {
            if (!samples.Any(s => s.Channel == channel && s.T == t))
            {
                var c = channel == HiChannelId ? hiChannel : loChannel;
                samples.Add((channel, t, c.MeasureMode == CurrentMeasureMode ? 0 : (channel == HiChannelId ? hi : lo).At(t)));
            }
        }

        lock (_gate)
        {
            foreach (var (channel, t, value) in samples.OrderBy(s => s.T))
            {
                _channels[channel].Samples.Add((t, value));
            }

            hiChannel.OutputV = hi.Points[^1].V;
            loChannel.OutputV = lo.Points[^1].V;
        }

        return "0";
    }

    private async Task<FormingResult?> PulseAsync(IReadOnlyList<(CellAddress Cell, int Sign)> driven, double peakV, double widthSeconds, double complianceA, CancellationToken cancellationToken)
    {
        FormingResult? formed = null;
        foreach (var (cell, sign) in driven)
        {
            var v = sign * peakV;
            var chip = _bench.Chip;
            if (v > 0 && chip.Supports(ChipCapabilities.RequiresForming) && !chip.IsFormed(cell))
            {
                formed = await chip.FormAsync(cell, new FormingPulse { AmplitudeV = v, WidthSeconds = widthSeconds, ComplianceA = complianceA }, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var pulse = new ProgramPulse { Polarity = v > 0 ? PulsePolarity.Set : PulsePolarity.Reset, AmplitudeV = Math.Abs(v), WidthSeconds = widthSeconds, ComplianceA = complianceA };
                await chip.ApplyPulseAsync(cell, pulse, cancellationToken).ConfigureAwait(false);
            }
        }

        _bench.CountPulse();
        return formed;
    }

    private async Task<double> SampleAsync(int channelId, double t, double cellV, IReadOnlyList<(CellAddress Cell, int Sign)> driven, bool shorted, FormingResult? formed, Channel channel, CancellationToken cancellationToken)
    {
        if (channel.MeasureMode != CurrentMeasureMode)
        {
            return channelId == HiChannelId ? cellV : 0;
        }

        var rangeA = RangeA(channel.CurrentRange);
        double currentA;
        if (shorted)
        {
            currentA = Math.CopySign(rangeA, cellV);
        }
        else if (formed is not null)
        {
            currentA = Math.CopySign(formed.CurrentA, cellV);
        }
        else
        {
            currentA = 0;
            if (cellV != 0)
            {
                foreach (var (cell, sign) in driven)
                {
                    currentA += sign * (await _bench.Chip.ReadCellAsync(cell, sign * cellV, cancellationToken).ConfigureAwait(false)).CurrentA;
                }
            }
        }

        // HI sources the array current, LO sinks it (positive = out of the channel terminal); both clip at their range.
        var signed = channelId == HiChannelId ? currentA : -currentA;
        return Math.Clamp(signed, -rangeA, rangeA);
    }

    /// <summary>Time during which the excursion's |V| is at least half its peak (exact on the linear pieces).</summary>
    private static double Fwhm(List<double> times, int start, int end, Func<double, double> v, double peak)
    {
        var half = Math.Abs(peak) / 2;
        var sign = Math.Sign(peak);
        var width = 0.0;
        for (var k = start; k < end; k++)
        {
            double a = sign * v(times[k]), b = sign * v(times[k + 1]), dt = times[k + 1] - times[k];
            if (a >= half && b >= half)
            {
                width += dt;
            }
            else if (a >= half || b >= half)
            {
                width += dt * (Math.Max(a, b) - half) / Math.Abs(b - a);
            }
        }

        return width;
    }

    /// <summary>The channel's waveform over the whole execution, and its measure events at absolute times.</summary>
    private Waveform Build(int id, Channel c, List<(int, double, MeasureEvent)> events)
    {
        var points = new List<(double T, double V)> { (0, c.OutputV) };
        var t = 0.0;
        foreach (var (name, count) in c.Sequence)
        {
            var p = _patterns[name];
            RequireRange(id, c, name, p);
            for (var k = 0; k < count; k++)
            {
                points.Add((t, p.InitialV));
                foreach (var (pt, pv) in p.Points)
                {
                    points.Add((t + pt, pv));
                }

                foreach (var e in p.Events)
                {
                    for (var q = 0; q < e.Points; q++)
                    {
                        events.Add((id, t + e.Time + (q * e.Interval), e));
                    }
                }

                t += p.Duration;
            }
        }

        return new Waveform(points);
    }

    private static void RequireRange(int id, Channel c, string name, Pattern p)
    {
        var (low, high) = c.ForceRange switch
        {
            3001 => (-3.0, 3.0),
            3002 => (-5.0, 5.0),
            3003 => (-10.0, 0.0),
            3004 => (0.0, 10.0),
            _ => (-10.0, 10.0),
        };
        var all = p.Points.Select(x => x.V).Append(p.InitialV).ToList();
        if (all.Min() < low || all.Max() > high)
        {
            throw new WgfmuCallException(ParameterOutOfRange, $"pattern \"{name}\" spans {Num(all.Min())}..{Num(all.Max())} V, outside the {Num(low)}..{Num(high)} V force range of channel {id}");
        }
    }

    /// <summary>Full scale of WGFMU_MEASURE_CURRENT_RANGE_1UA … 10MA (6001–6005); the B1530A default is 1 mA.</summary>
    public static double RangeA(int code) => code switch
    {
        6001 => 1e-6,
        6002 => 10e-6,
        6003 => 100e-6,
        6005 => 10e-3,
        _ => 1e-3,
    };

    private Channel ChannelOf(string[] a) =>
        _channels.TryGetValue(Int(a, 1), out var c) ? c : throw new WgfmuCallException(ParameterOutOfRange, $"channel {a[1]} is not installed (channels {string.Join(", ", _channels.Keys)})");

    private Pattern PatternOf(string[] a, int i)
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

    private sealed class Channel
    {
        public int Mode { get; set; } = 2003;

        public int ForceRange { get; set; } = 3000;

        public int MeasureMode { get; set; } = 4000;

        public int CurrentRange { get; set; } = 6004;

        public bool Connected { get; set; }

        public double OutputV { get; set; }

        public List<(string Pattern, int Count)> Sequence { get; } = [];

        public List<(double T, double V)> Samples { get; } = [];
    }

    private sealed class Pattern(double initialV)
    {
        public double InitialV { get; } = initialV;

        /// <summary>(time from the pattern start, voltage) after each vector.</summary>
        public List<(double T, double V)> Points { get; } = [];

        public List<MeasureEvent> Events { get; } = [];

        public double Duration => Points.Count == 0 ? 0 : Points[^1].T;
    }

    private sealed record MeasureEvent(string Name, double Time, int Points, double Interval, double Average);

    private sealed class Waveform(List<(double T, double V)> points)
    {
        public List<(double T, double V)> Points { get; } = points;

        /// <summary>V(t), linear between points; the last point holds after the end. At a jump (two points at one time) the later wins.</summary>
        public double At(double t)
        {
            var v = Points[0].V;
            for (var k = 1; k < Points.Count; k++)
            {
                var (ta, va) = Points[k - 1];
                var (tb, vb) = Points[k];
                if (t < tb)
                {
                    return tb > ta && t >= ta ? va + ((vb - va) * (t - ta) / (tb - ta)) : v;
                }

                v = vb;
            }

            return v;
        }
    }

    private sealed class WgfmuCallException(int status, string message) : Exception(message)
    {
        public int Status { get; } = status;
    }
}
