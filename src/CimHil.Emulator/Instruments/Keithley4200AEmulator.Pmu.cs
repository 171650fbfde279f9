using System.Globalization;
using System.Text.RegularExpressions;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// The emulated 4225-PMU: standard pulse mode (4200A-SCS reference manual 4200A-901-01, "KXCI commands for the 4225-PMU")
/// with its state per channel, the limits the card enforces (±10 V on the 10 V range, widths 60 ns – 1 s) and spot-mean
/// pulsed reads. Refusals answer <c>ERROR</c> and set the last error, as for the SMUs. With <see cref="PmuInstalled"/> false
/// every <c>:PMU:</c> command is refused, as on a 4200A-SCS without the card.
/// </summary>
public sealed partial class Keithley4200AEmulator
{
    /// <summary><c>:PMU:RPM:CONFIGURE</c> mode of the RPM's path to the PMU.</summary>
    public const int RpmToPmu = 0;

    /// <summary><c>:PMU:RPM:CONFIGURE</c> mode of the RPM's path to the SMU (the state after reset); 1 and 3 are the CVU's (KXCI manual 4200A-KXCI-907-01D, pp. 7-22–7-23).</summary>
    public const int RpmToSmu = 2;

    /// <summary>Measure mode of spot-mean readings, one per pulse (<c>:PMU:MEASURE:MODE 1</c>); 0 acquires nothing.</summary>
    public const int SpotMeanDiscrete = 1;

    private readonly Pmu[] _pmu = [new(), new()];
    private bool _pmuInitialised;
    private int _measureMode;

    /// <summary>False: no 4225-PMU in the mainframe, every <c>:PMU:</c> command is refused (a driver detecting the card sees that).</summary>
    public bool PmuInstalled { get; init; } = true;

    /// <summary>Pulsed reads (PMU tests with a spot-mean acquisition) since start.</summary>
    public int PulsedReads { get; private set; }

    private async Task<string> ExecutePmuAsync(string text, CancellationToken cancellationToken)
    {
        const string Ack = "ACK";
        if (!PmuInstalled)
        {
            throw new KxciException($"{text}: no 4225-PMU is installed");
        }

        if (text == ":PMU:INIT 0")
        {
            lock (_gate)
            {
                _pmuInitialised = true;
                _measureMode = SpotMeanDiscrete;
                Array.ForEach(_pmu, p => p.Data = null);
            }

            return Ack;
        }

        RequirePmuInitialised(text);
        switch (text)
        {
            case ":PMU:TEST:STATUS?":
                // A test runs inside :PMU:EXECUTE here, so it is always over when asked.
                return "0";
            case ":PMU:EXECUTE":
                await ExecuteTestAsync(cancellationToken).ConfigureAwait(false);
                return Ack;
        }

        if (PmuCommand().Match(text) is not { Success: true } pmu)
        {
            throw new KxciException($"undefined or malformed KXCI command '{text}'");
        }

        var keyword = pmu.Groups[1].Value;
        var args = pmu.Groups[2].Value.Split(',', StringSplitOptions.TrimEntries);
        if (keyword == "RPM:CONFIGURE")
        {
            if (args.Length != 2 || RpmName().Match(args[0]) is not { Success: true } rpm)
            {
                throw new KxciException($"{text}: expected PMU1-<channel>, <mode>");
            }

            var mode = Number(args[1], text);
            if (mode is not (RpmToPmu or RpmToSmu))
            {
                throw new KxciException($"{text}: RPM mode {args[1]} is neither 0 (PMU) nor 2 (SMU); 1 and 3 route the CVU, which this emulator has not");
            }

            lock (_gate)
            {
                PmuAt(rpm.Groups[1].Value, text).RpmMode = (int)mode;
            }

            return Ack;
        }

        var values = args.Select(a => Number(a, text)).ToArray();
        if (keyword == "MEASURE:MODE")
        {
            if (values is not [var m] || m is not (0 or 1 or 2 or 3 or 4))
            {
                throw new KxciException($"{text}: measure mode is 0–4");
            }

            lock (_gate)
            {
                _measureMode = (int)m;
            }

            return Ack;
        }

        var channel = PmuAt(args[0], text);
        lock (_gate)
        {
            return keyword switch
            {
                "DATA:COUNT?" when values.Length == 1 => channel.Data is null ? "0" : "1",
                "DATA:GET" when values.Length is 1 or 3 => DataOf(channel, values, text),
                _ => Configure(channel, keyword, values, text) ? Ack : throw new KxciException($"{text}: wrong number of arguments"),
            };
        }
    }

    // Called under _gate. True when the keyword's argument count matched and the values were taken.
    private static bool Configure(Pmu channel, string keyword, double[] values, string text)
    {
        switch (keyword)
        {
            case "PULSE:TIMES" when values.Length == 6:
                if (values[2] < 60e-9 || values[2] > 1 || values[1] < values[2] + values[3] + values[4])
                {
                    throw new KxciException($"{text}: width outside 60 ns – 1 s or longer than the period");
                }

                channel.WidthSeconds = values[2];
                return true;
            case "PULSE:LIMITS" when values.Length == 4:
                channel.LimitA = values[2];
                return true;
            case "PULSE:TRAIN" when values.Length == 3:
                if (Math.Abs(values[1]) > 10 || Math.Abs(values[2]) > 10)
                {
                    throw new KxciException($"{text}: level beyond the 10 V range");
                }

                channel.BaseV = values[1];
                channel.AmplitudeV = values[2];
                return true;
            case "OUTPUT:STATE" when values.Length == 2 && values[1] is 0 or 1:
                channel.Output = values[1] == 1;
                return true;
            case "MEASURE:PIV" when values.Length == 3 && values[1] is 0 or 1 && values[2] is 0 or 1:
                channel.AcquireHigh = values[1] == 1;
                return true;
            case "TIMES:PIV" when values.Length == 3:
                if (values[1] < 0 || values[2] > 1 || values[1] >= values[2])
                {
                    throw new KxciException($"{text}: the measurement window must lie inside 0–1 of the pulse top, start before stop");
                }

                return true;
            default:
                return false;
        }
    }

    // The spot-mean record: VH, IH, TH, SH, VL, IL, TL, SL (high level, then the base level, which is 0 V here).
    private static string DataOf(Pmu channel, double[] values, string text)
    {
        if (channel.Data is not { } d)
        {
            throw new KxciException($"{text}: no data (nothing acquired since the last test)");
        }

        if (values.Length == 3 && (values[1] != 0 || values[2] < 1))
        {
            throw new KxciException($"{text}: only point 0 exists");
        }

        static string F(double v) => v.ToString("0.000000E+00", CultureInfo.InvariantCulture);
        return $"{F(d.VoltageV)},{F(d.CurrentA)},{F(d.TimeSeconds)},0,{F(0)},{F(0)},{F(0)},0";
    }

    // Channel 1 reaches the array when its output is on and its RPM is on the PMU. Above the stress threshold the pulse
    // programs the driven cells; at or below it the pulse only reads them. A spot-mean acquisition keeps the current.
    private async Task ExecuteTestAsync(CancellationToken cancellationToken)
    {
        double levelV, widthSeconds, limitA;
        bool acquire;
        lock (_gate)
        {
            var p = _pmu[0];
            Array.ForEach(_pmu, c => c.Data = null);
            if (!p.Output || p.RpmMode != RpmToPmu)
            {
                return;
            }

            if (p.WidthSeconds is not { } w || p.AmplitudeV is not { } a || p.LimitA is not { } i)
            {
                throw new KxciException(":PMU:EXECUTE: channel 1 has no pulse times, train or limits");
            }

            (levelV, widthSeconds, limitA) = (a, w, i);
            acquire = _measureMode == SpotMeanDiscrete && p.AcquireHigh;
            MaxAbsVoltageV = Math.Max(MaxAbsVoltageV, Math.Abs(levelV));
        }

        if (Math.Abs(levelV) > StressThresholdV)
        {
            await _bench.PulseAsync(levelV, widthSeconds, limitA, cancellationToken).ConfigureAwait(false);
        }

        if (!acquire)
        {
            return;
        }

        var currentA = await _bench.MeasureAsync(levelV, limitA, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _pmu[0].Data = new PmuData(levelV, currentA, widthSeconds);
            PulsedReads++;
        }
    }

    private void RequirePmuInitialised(string text)
    {
        if (!_pmuInitialised)
        {
            throw new KxciException($"{text}: the PMU is not initialised (send :PMU:INIT first)");
        }
    }

    private Pmu PmuAt(string text, string command) =>
        text switch
        {
            "1" => _pmu[0],
            "2" => _pmu[1],
            _ => throw new KxciException($"{command}: PMU channel {text} does not exist (1 or 2)"),
        };

    [GeneratedRegex(@"^:PMU:(RPM:CONFIGURE|PULSE:TIMES|PULSE:LIMITS|PULSE:TRAIN|OUTPUT:STATE|MEASURE:MODE|MEASURE:PIV|TIMES:PIV|DATA:COUNT\?|DATA:GET) (.+)$")]
    private static partial Regex PmuCommand();

    [GeneratedRegex(@"^PMU1-(\d)$")]
    private static partial Regex RpmName();

    private sealed record PmuData(double VoltageV, double CurrentA, double TimeSeconds);

    private sealed class Pmu
    {
        public bool Output { get; set; }

        /// <summary>0: RPM path to the PMU; 1: to the SMU (the default after reset).</summary>
        public int RpmMode { get; set; } = RpmToSmu;

        public double? WidthSeconds { get; set; }

        public double? LimitA { get; set; }

        public double BaseV { get; set; }

        public double? AmplitudeV { get; set; }

        /// <summary>Spot-mean acquisition of the pulse top (<c>:PMU:MEASURE:PIV ch, 1, …</c>).</summary>
        public bool AcquireHigh { get; set; }

        /// <summary>What the last test acquired on this channel; null when nothing was.</summary>
        public PmuData? Data { get; set; }

        public void Reset()
        {
            Output = false;
            RpmMode = RpmToSmu;
            WidthSeconds = null;
            LimitA = null;
            AmplitudeV = null;
            BaseV = 0;
            AcquireHigh = false;
            Data = null;
        }
    }
}
