using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// The emulated bench of the keithley-2600b driver: an emulated Keithley 2636B in front of an <see cref="EmulatedChip"/>,
/// either through an emulated Keithley 707B (channel A between the HI and LO buses, as on the smu-matrix station) or alone
/// on a single device (a 1×1 array: channel A across the cell, channel B on the gate of its access transistor when on).
/// Idealisations as on <see cref="SmuMatrixBench"/>: no sneak paths, and the current of a pulse is measured on the cell as
/// the pulse leaves it.
/// </summary>
public sealed class Keithley2600BBench
{
    private readonly EmulatedChip _chip;
    private long _pulses;
    private long _shorts;

    /// <summary>With <paramref name="withMatrix"/> the array sits behind a 707B; without, it must be a single device (1×1).</summary>
    public Keithley2600BBench(EmulatedChip chip, ILogger logger, bool withMatrix = true, MatrixWiring? wiring = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        _chip = chip;
        if (withMatrix)
        {
            MatrixWiring.RequireFits(chip);
            Matrix = new Keithley707BEmulator(wiring ?? MatrixWiring.Default, logger);
        }
        else if (chip.Geometry.Rows != 1 || chip.Geometry.Columns != 1)
        {
            throw new ArgumentException($"a 2600B alone reaches one device; a {chip.Geometry} array needs the matrix", nameof(chip));
        }

        Smu = new Keithley2600BEmulator(this, logger);
    }

    public EmulatedChip Chip => _chip;

    public Keithley2600BEmulator Smu { get; }

    /// <summary>The matrix, or null when the SMU drives a single device.</summary>
    public Keithley707BEmulator? Matrix { get; }

    /// <summary>Pulses that reached at least one cell.</summary>
    public long PulsesApplied => Interlocked.Read(ref _pulses);

    /// <summary>Measurements or pulses during which a line was on two buses at once.</summary>
    public long ShortCircuits => Interlocked.Read(ref _shorts);

    /// <summary>Both channels off at 0 V and, where there is a matrix, every crosspoint open.</summary>
    public bool IsSafe => Smu.IsOffAtZero("smua") && Smu.IsOffAtZero("smub") && (Matrix is null || Matrix.ClosedChannels.Count == 0);

    /// <summary>The cells channel A drives now, with the sign of the voltage across each (+1: word line on HI).</summary>
    public IReadOnlyList<(CellAddress Cell, int Sign)> DrivenCells(out bool shorted)
    {
        if (Matrix is not null)
        {
            return Matrix.DrivenCells(_chip.Geometry, out shorted);
        }

        shorted = false;
        return [(new CellAddress(0, 0), +1)];
    }

    /// <summary>Channel A's current at <paramref name="levelV"/>, limited to ±<paramref name="limitA"/>.</summary>
    internal async Task<double> MeasureAsync(double levelV, double limitA, CancellationToken cancellationToken)
    {
        var cells = DrivenCells(out var shorted);
        if (shorted)
        {
            Interlocked.Increment(ref _shorts);
            return Math.CopySign(limitA, levelV);
        }

        var total = 0.0;
        if (levelV != 0 && GateOpen())
        {
            foreach (var (cell, sign) in cells)
            {
                total += sign * (await _chip.ReadCellAsync(cell, sign * levelV, cancellationToken).ConfigureAwait(false)).CurrentA;
            }
        }

        return Math.Abs(total) > limitA ? Math.CopySign(limitA, total) : total;
    }

    /// <summary>A pulse of <paramref name="levelV"/> on channel A for <paramref name="widthSeconds"/> on every driven cell.</summary>
    internal async Task PulseAsync(double levelV, double widthSeconds, double limitA, CancellationToken cancellationToken)
    {
        var cells = DrivenCells(out var shorted);
        if (shorted)
        {
            Interlocked.Increment(ref _shorts);
            return;
        }

        if (levelV == 0 || cells.Count == 0 || !GateOpen())
        {
            return;
        }

        // Alone, channel B drives the gate of a 1T1R cell when its output is on; behind the matrix there is no gate.
        var gateV = Matrix is null ? Smu.OutputLevelV("smub") : null;
        foreach (var (cell, sign) in cells)
        {
            await CellStimulus.ApplyAsync(_chip, cell, sign * levelV, widthSeconds, limitA, cancellationToken, gateV).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _pulses);
    }

    // A 1T1R cell whose gate is held at 0 V conducts nothing; a gate left floating (channel B off) is a two-terminal device.
    private bool GateOpen() => Matrix is not null || Smu.OutputLevelV("smub") is not 0.0;
}
