using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// The emulated probe station: an emulated Keithley 2450 SMU and an emulated Keithley 707B matrix in front of an
/// <see cref="EmulatedChip"/>. The cell between a word line on the HI bus and a bit line on the LO bus sees the SMU's
/// voltage (reversed when the word line is on LO); lines on the bias bus or open carry no SMU current.
/// Idealisations: no sneak paths or half-select disturb (the bias bus isolates perfectly), parallel cells each get the
/// full compliance, and a pulse lasts exactly the trigger model's delay.
/// </summary>
public sealed class SmuMatrixBench
{
    private readonly EmulatedChip _chip;
    private long _pulses;
    private long _shorts;

    public SmuMatrixBench(EmulatedChip chip, ILogger logger, MatrixWiring? wiring = null)
    {
        ArgumentNullException.ThrowIfNull(chip);
        _chip = chip;
        Wiring = wiring ?? MatrixWiring.Default;
        MatrixWiring.RequireFits(chip);

        if (Wiring.WordLineSlot == Wiring.BitLineSlot)
        {
            throw new ArgumentException("word lines and bit lines need different matrix cards", nameof(wiring));
        }

        Smu = new Keithley2450Emulator(this, logger);
        Matrix = new Keithley707BEmulator(Wiring, logger);
    }

    public MatrixWiring Wiring { get; }

    /// <summary>The array behind the matrix.</summary>
    public EmulatedChip Chip => _chip;

    public Keithley2450Emulator Smu { get; }

    public Keithley707BEmulator Matrix { get; }

    /// <summary>Pulses that reached at least one cell.</summary>
    public long PulsesApplied => Interlocked.Read(ref _pulses);

    /// <summary>Measurements or pulses during which a line was on two buses at once (the SMU went into compliance).</summary>
    public long ShortCircuits => Interlocked.Read(ref _shorts);

    /// <summary>True when the SMU output is off at 0 V and every matrix crosspoint is open: the bench's safe state.</summary>
    public bool IsSafe => !Smu.OutputOn && Smu.SourceLevelV == 0 && Matrix.ClosedChannels.Count == 0;

    /// <summary>The cells the SMU drives now, with the sign of the voltage across each (+1: word line on HI).</summary>
    public IReadOnlyList<(CellAddress Cell, int Sign)> DrivenCells(out bool shorted) => Matrix.DrivenCells(_chip.Geometry, out shorted);

    /// <summary>The current into the SMU's HI terminal at <paramref name="levelV"/>, limited to ±<paramref name="limitA"/>.</summary>
    internal async Task<(double CurrentA, bool InCompliance)> MeasureAsync(double levelV, double limitA, CancellationToken cancellationToken)
    {
        var cells = DrivenCells(out var shorted);
        if (shorted)
        {
            Interlocked.Increment(ref _shorts);
            return (Math.CopySign(limitA, levelV), true);
        }

        var total = 0.0;
        if (levelV != 0)
        {
            foreach (var (cell, sign) in cells)
            {
                var read = await _chip.ReadCellAsync(cell, sign * levelV, cancellationToken).ConfigureAwait(false);
                total += sign * read.CurrentA;
            }
        }

        return Math.Abs(total) > limitA ? (Math.CopySign(limitA, total), true) : (total, false);
    }

    /// <summary>Applies a pulse of <paramref name="levelV"/> for <paramref name="widthSeconds"/> to every driven cell.</summary>
    internal async Task PulseAsync(double levelV, double widthSeconds, double limitA, CancellationToken cancellationToken)
    {
        var cells = DrivenCells(out var shorted);
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
