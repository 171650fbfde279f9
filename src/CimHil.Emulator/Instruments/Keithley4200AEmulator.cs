using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// An emulated Keithley 4200A-SCS speaking KXCI over LAN, for exactly the subset the keithley-4200a driver sends
/// (4200A-SCS reference manual 4200A-901-01, "KXCI commands"): <c>*IDN?</c>, <c>*RST</c>, <c>BC</c>, <c>US</c>,
/// <c>:ERROR:LAST:GET</c> / <c>:ERROR:LAST:CLEAR</c>; SMU user mode <c>DVn, range, V, I</c>, <c>DVn</c> (off) and <c>TIn</c>;
/// 4225-PMU standard pulse mode <c>:PMU:INIT 0</c>, <c>:PMU:RPM:CONFIGURE PMU1-c, m</c>, <c>:PMU:PULSE:TIMES</c>,
/// <c>:PMU:PULSE:LIMITS</c>, <c>:PMU:PULSE:TRAIN</c>, <c>:PMU:OUTPUT:STATE</c>, <c>:PMU:EXECUTE</c> and
/// <c>:PMU:TEST:STATUS?</c>, and for pulsed reads <c>:PMU:MEASURE:MODE</c>, <c>:PMU:MEASURE:PIV</c>, <c>:PMU:TIMES:PIV</c>,
/// <c>:PMU:DATA:COUNT?</c> and <c>:PMU:DATA:GET</c> (Keithley4200AEmulator.Pmu.cs). Every message is answered (<c>ACK</c> for an accepted command); anything else, or a value out of
/// range, answers <c>ERROR</c> and sets the last error, so a driver that drifts from the subset fails its tests.
/// Four SMUs (SMU1–SMU4), one PMU with two channels, each with an RPM; SMU1 and PMU channel 1 share RPM1's output, which is
/// what the bench wires to the matrix.
/// </summary>
public sealed partial class Keithley4200AEmulator : ILineInstrument
{
    /// <summary>SMUs installed.</summary>
    public const int SmuCount = 4;

    /// <summary>
    /// Idealisation: a DC level above this magnitude stresses the driven cells (a forming or programming step lasting from
    /// <c>DV</c> to <c>TI</c>); below it the cell is only read, as the emulated array has no read disturb.
    /// </summary>
    public const double StressThresholdV = 1.0;

    private readonly Keithley4200ABench _bench;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Smu[] _smus = [.. Enumerable.Range(0, SmuCount).Select(_ => new Smu())];
    private bool _userMode;
    private string? _lastError;
    private int _errors;

    internal Keithley4200AEmulator(Keithley4200ABench bench, ILogger logger)
    {
        _bench = bench;
        _logger = logger;
    }

    public string Serial { get; init; } = "4200A-0001";

    /// <summary>Errors raised since start (refused commands).</summary>
    public int ErrorCount => Volatile.Read(ref _errors);

    /// <summary>The largest |voltage| an SMU or the PMU applied since start.</summary>
    public double MaxAbsVoltageV { get; private set; }

    /// <summary>SMU <paramref name="smu"/> (1-based) is off at 0 V.</summary>
    public bool IsSmuOff(int smu)
    {
        lock (_gate)
        {
            return _smus[smu - 1].LevelV is null;
        }
    }

    /// <summary>Both PMU channels' outputs are off.</summary>
    public bool PmuOutputsOff
    {
        get
        {
            lock (_gate)
            {
                return _pmu.All(p => !p.Output);
            }
        }
    }

    /// <summary>Every SMU off at 0 V and every PMU output off.</summary>
    public bool IsSafe
    {
        get
        {
            lock (_gate)
            {
                return _smus.All(s => s.LevelV is null) && _pmu.All(p => !p.Output);
            }
        }
    }

    public async Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        var text = message.Trim();
        try
        {
            return await ExecuteCoreAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch (KxciException ex)
        {
            lock (_gate)
            {
                _lastError = ex.Message;
            }

            Interlocked.Increment(ref _errors);
            _logger.Debug("Emulated 4200A refused {Message}: {Error}", text, ex.Message);
            return "ERROR";
        }
    }

    private async Task<string?> ExecuteCoreAsync(string text, CancellationToken cancellationToken)
    {
        const string Ack = "ACK";
        switch (text)
        {
            case "*IDN?":
                return $"KEITHLEY INSTRUMENTS,KI4200A,{Serial},V1.13";
            case "*RST":
                lock (_gate)
                {
                    Array.ForEach(_smus, s => s.LevelV = null);
                    Array.ForEach(_pmu, p => p.Reset());
                    _pmuInitialised = false;
                }

                return Ack;
            case "BC":
                return Ack;
            case "US":
                _userMode = true;
                return Ack;
            case ":ERROR:LAST:GET":
                lock (_gate)
                {
                    return _lastError is null ? "NO ERROR" : $"-100,\"{_lastError}\"";
                }

            case ":ERROR:LAST:CLEAR":
                lock (_gate)
                {
                    _lastError = null;
                }

                return Ack;
        }

        if (text.StartsWith(":PMU:", StringComparison.Ordinal))
        {
            return await ExecutePmuAsync(text, cancellationToken).ConfigureAwait(false);
        }

        if (SmuOff().Match(text) is { Success: true } off)
        {
            RequireUserMode(text);
            var smu = SmuAt(off.Groups[1].Value);
            lock (_gate)
            {
                smu.LevelV = null;
            }

            return Ack;
        }

        if (ForceVoltage().Match(text) is { Success: true } dv)
        {
            RequireUserMode(text);
            var smu = SmuAt(dv.Groups[1].Value);
            var range = Number(dv.Groups[2].Value, text);
            var levelV = Number(dv.Groups[3].Value, text);
            var complianceA = Number(dv.Groups[4].Value, text);
            if (range != 0)
            {
                throw new KxciException($"{text}: only auto range (0) is emulated");
            }

            if (Math.Abs(levelV) > 210 || complianceA < 1e-12 || complianceA > 0.105)
            {
                throw new KxciException($"{text}: voltage beyond ±210 V or compliance outside 1 pA – 105 mA");
            }

            lock (_gate)
            {
                smu.LevelV = levelV;
                smu.ComplianceA = complianceA;
                smu.SinceTimestamp = Stopwatch.GetTimestamp();
                MaxAbsVoltageV = Math.Max(MaxAbsVoltageV, Math.Abs(levelV));
            }

            return Ack;
        }

        if (MeasureCurrent().Match(text) is { Success: true } ti)
        {
            RequireUserMode(text);
            var index = int.Parse(ti.Groups[1].Value, CultureInfo.InvariantCulture);
            var smu = SmuAt(ti.Groups[1].Value);
            double levelV, complianceA, heldSeconds;
            lock (_gate)
            {
                if (smu.LevelV is not { } l)
                {
                    throw new KxciException($"{text}: SMU{index} is not sourcing");
                }

                (levelV, complianceA) = (l, smu.ComplianceA);
                heldSeconds = Math.Clamp(Stopwatch.GetElapsedTime(smu.SinceTimestamp).TotalSeconds, 1e-6, 1);
            }

            // Only SMU1 reaches the array (through RPM1, when its path is the SMU's).
            var reaches = index == 1 && _pmu[0].RpmMode == RpmToSmu;
            if (reaches && Math.Abs(levelV) > StressThresholdV)
            {
                await _bench.PulseAsync(levelV, heldSeconds, complianceA, cancellationToken).ConfigureAwait(false);
            }

            var currentA = reaches ? await _bench.MeasureAsync(levelV, complianceA, cancellationToken).ConfigureAwait(false) : 0;
            var status = Math.Abs(currentA) >= complianceA ? 'C' : 'N';
            return $"{status}{(char)('A' + index - 1)}I{currentA.ToString("+0.000000E+00;-0.000000E+00", CultureInfo.InvariantCulture)}";
        }

        throw new KxciException($"undefined or malformed KXCI command '{text}'");
    }

    private void RequireUserMode(string text)
    {
        if (!_userMode)
        {
            throw new KxciException($"{text}: not in user mode (send US first)");
        }
    }

    private Smu SmuAt(string digits)
    {
        var n = int.Parse(digits, CultureInfo.InvariantCulture);
        return n is >= 1 and <= SmuCount ? _smus[n - 1] : throw new KxciException($"SMU{n} is not installed (SMU1–SMU{SmuCount})");
    }

    private static double Number(string text, string command) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new KxciException($"{command}: '{text}' is not a number");

    [GeneratedRegex(@"^DV(\d)$")]
    private static partial Regex SmuOff();

    [GeneratedRegex(@"^DV(\d)\s*,\s*([^,]+?)\s*,\s*([^,]+?)\s*,\s*([^,]+?)$")]
    private static partial Regex ForceVoltage();

    [GeneratedRegex(@"^TI(\d)$")]
    private static partial Regex MeasureCurrent();

    private sealed class Smu
    {
        /// <summary>The sourced level; null when off.</summary>
        public double? LevelV { get; set; }

        public double ComplianceA { get; set; }

        /// <summary>When the level was set (<see cref="Stopwatch.GetTimestamp"/>).</summary>
        public long SinceTimestamp { get; set; }
    }

    private sealed class KxciException(string message) : Exception(message);
}
