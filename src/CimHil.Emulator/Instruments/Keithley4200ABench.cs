using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// The emulated bench of the keithley-4200a driver: an emulated 4200A-SCS (KXCI) whose RPM1 output (SMU1 or PMU channel 1)
/// reaches an <see cref="EmulatedChip"/> through an emulated Keithley 707B, as on the smu-matrix station. Idealisations as on
/// <see cref="SmuMatrixBench"/>: no sneak paths, and a pulse's current is that of the cell as the pulse leaves it.
/// </summary>
public sealed class Keithley4200ABench
{
    private readonly EmulatedChip _chip;
    private long _pulses;
    private long _shorts;

    /// <param name="pmuInstalled">False: a 4200A-SCS without a 4225-PMU (every <c>:PMU:</c> command refused).</param>
    public Keithley4200ABench(EmulatedChip chip, ILogger logger, MatrixWiring? wiring = null, bool pmuInstalled = true)
    {
        ArgumentNullException.ThrowIfNull(chip);
        MatrixWiring.RequireFits(chip);
        _chip = chip;
        Matrix = new Keithley707BEmulator(wiring ?? MatrixWiring.Default, logger);
        Analyzer = new Keithley4200AEmulator(this, logger) { PmuInstalled = pmuInstalled };
    }

    public EmulatedChip Chip => _chip;

    public Keithley4200AEmulator Analyzer { get; }

    public Keithley707BEmulator Matrix { get; }

    /// <summary>Pulses that reached at least one cell.</summary>
    public long PulsesApplied => Interlocked.Read(ref _pulses);

    /// <summary>Measurements or pulses during which a line was on two buses at once.</summary>
    public long ShortCircuits => Interlocked.Read(ref _shorts);

    /// <summary>Every SMU off at 0 V, the PMU outputs off and every crosspoint open.</summary>
    public bool IsSafe => Analyzer.IsSafe && Matrix.ClosedChannels.Count == 0;

    /// <summary>SMU1's current at <paramref name="levelV"/>, limited to ±<paramref name="limitA"/>.</summary>
    internal async Task<double> MeasureAsync(double levelV, double limitA, CancellationToken cancellationToken)
    {
        var cells = Matrix.DrivenCells(_chip.Geometry, out var shorted);
        if (shorted)
        {
            Interlocked.Increment(ref _shorts);
            return Math.CopySign(limitA, levelV);
        }

        var total = 0.0;
        if (levelV != 0)
        {
            foreach (var (cell, sign) in cells)
            {
                total += sign * (await _chip.ReadCellAsync(cell, sign * levelV, cancellationToken).ConfigureAwait(false)).CurrentA;
            }
        }

        return Math.Abs(total) > limitA ? Math.CopySign(limitA, total) : total;
    }

    /// <summary>A PMU pulse of <paramref name="levelV"/> for <paramref name="widthSeconds"/> on every driven cell.</summary>
    internal async Task PulseAsync(double levelV, double widthSeconds, double limitA, CancellationToken cancellationToken)
    {
        var cells = Matrix.DrivenCells(_chip.Geometry, out var shorted);
        if (shorted)
        {
            Interlocked.Increment(ref _shorts);
            return;
        }

        if (levelV == 0 || cells.Count == 0)
        {
            return;
        }

        foreach (var (cell, sign) in cells)
        {
            await CellStimulus.ApplyAsync(_chip, cell, sign * levelV, widthSeconds, limitA, cancellationToken).ConfigureAwait(false);
        }

        Interlocked.Increment(ref _pulses);
    }
}
