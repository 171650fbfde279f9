using CimHil.Core.Chip;

namespace CimHil.Emulator.Instruments.B1500;

/// <summary>WGFMU_execute: the channels' sequences played through the matrix onto the array.</summary>
public sealed partial class WgfmuEmulator
{
    private async Task<string> ExecuteSequencesAsync(CancellationToken cancellationToken)
    {
        WgfmuWaveform hi, lo;
        List<(int Channel, double Time, WgfmuMeasureEvent Event)> events = [];
        WgfmuChannel hiChannel, loChannel;
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
                formed = await PulseAsync(driven, peak, WgfmuWaveform.FullWidthAtHalfMaximum(times, start, end, Cell, peak), complianceA, cancellationToken).ConfigureAwait(false);
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
            formed = await CellStimulus.ApplyAsync(_bench.Chip, cell, sign * peakV, widthSeconds, complianceA, cancellationToken).ConfigureAwait(false) ?? formed;
        }

        _bench.CountPulse();
        return formed;
    }

    private async Task<double> SampleAsync(int channelId, double t, double cellV, IReadOnlyList<(CellAddress Cell, int Sign)> driven, bool shorted, FormingResult? formed, WgfmuChannel channel, CancellationToken cancellationToken)
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

    /// <summary>The channel's waveform over the whole execution, and its measure events at absolute times.</summary>
    private WgfmuWaveform Build(int id, WgfmuChannel c, List<(int, double, WgfmuMeasureEvent)> events)
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

        return new WgfmuWaveform(points);
    }

    private static void RequireRange(int id, WgfmuChannel c, string name, WgfmuPattern p)
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
}
