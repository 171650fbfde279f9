using Serilog;

namespace CimHil.Emulator.Instruments.B1500;

/// <summary>
/// The emulated fast-pulse bench: a Keysight B1500A mainframe (FLEX), its B1530A WGFMU (the instrument library's calls,
/// docs/wgfmu-standin.md) and a Keithley 707B matrix in front of an <see cref="EmulatedChip"/>. The WGFMU's channel 1 is
/// cabled to the matrix HI row, channel 2 to the LO row; unselected lines go to the bias row (ground here).
/// Idealisations as <see cref="SmuMatrixBench"/> (no sneak paths, no half-select disturb), plus those of
/// <see cref="WgfmuEmulator"/>.
/// </summary>
public sealed class B1500Bench
{
    private long _pulses;

    public B1500Bench(EmulatedChip chip, ILogger logger, MatrixWiring? wiring = null, int wgfmuSlot = 1)
    {
        ArgumentNullException.ThrowIfNull(chip);
        Chip = chip;
        Wiring = wiring ?? MatrixWiring.Default;
        MatrixWiring.RequireFits(chip);

        if (wgfmuSlot is < 1 or > B1500FlexEmulator.Slots)
        {
            throw new ArgumentOutOfRangeException(nameof(wgfmuSlot), wgfmuSlot, "the B1500A has slots 1–10");
        }

        Mainframe = new B1500FlexEmulator(this, wgfmuSlot, logger);
        Wgfmu = new WgfmuEmulator(this, wgfmuSlot, logger);
        Matrix = new Keithley707BEmulator(Wiring, logger);
    }

    public EmulatedChip Chip { get; }

    public MatrixWiring Wiring { get; }

    public B1500FlexEmulator Mainframe { get; }

    public WgfmuEmulator Wgfmu { get; }

    public Keithley707BEmulator Matrix { get; }

    /// <summary>Measured excursions up to this peak voltage are reads without disturb; anything above is a pulse (see <see cref="WgfmuEmulator"/>).</summary>
    public double ReadThresholdV { get; init; } = 1.0;

    /// <summary>Excursions that reached the array as pulses.</summary>
    public long PulsesApplied => Interlocked.Read(ref _pulses);

    /// <summary>True when both WGFMU channels output 0 V with their relays open and every matrix crosspoint is open.</summary>
    public bool IsSafe => Wgfmu.IsSafe && Matrix.ClosedChannels.Count == 0;

    internal void CountPulse() => Interlocked.Increment(ref _pulses);

    // FLEX CL/DZ/*RST address the mainframe's modules; the WGFMU follows them (B1530A user's guide: CL disables its channels).
    internal void DisableAll() => Wgfmu.Reset(disconnect: true);

    internal void ZeroAll() => Wgfmu.Reset(disconnect: false);
}
