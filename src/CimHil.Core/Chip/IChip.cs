namespace CimHil.Core.Chip;

/// <summary>
/// The one seam between the bench (drivers, emulator) and everything above it.
/// Implementations apply the operation they are asked for and nothing else: safety limits
/// are enforced by <see cref="Safety.SafeChip"/>, which wraps every chip the drivers build.
/// </summary>
public interface IChip : IAsyncDisposable
{
    ChipIdentity Identity { get; }

    ArrayGeometry Geometry { get; }

    ChipCapabilities Capabilities { get; }

    /// <summary>The clock that stamps results and times drift: virtual on the emulator, wall clock on hardware.</summary>
    IChipClock Clock { get; }

    Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken);

    Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken);

    Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken);

    /// <summary>Reads every cell of a block in one operation (one round trip on a wire).</summary>
    Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken);

    /// <summary>
    /// Drives every row with its voltage at once and returns each column's current.
    /// Throws <see cref="CapabilityNotSupportedException"/> unless <see cref="ChipCapabilities.VectorMatrixMultiply"/> is set.
    /// </summary>
    Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken);

    /// <summary>Brings every source to 0 V and every output off; called on error and on dispose.</summary>
    Task SafeStateAsync(CancellationToken cancellationToken);
}

/// <summary>A chip that wraps another (safety checks, logging); lets callers reach the chip underneath.</summary>
public interface IChipDecorator
{
    IChip Inner { get; }
}

/// <summary>Row and column reads as blocks.</summary>
public static class ChipExtensions
{
    public static Task<BlockReadResult> ReadRowAsync(this IChip chip, int row, double readVoltageV, CancellationToken cancellationToken) =>
        chip.ReadBlockAsync(CellBlock.SingleRow(row, chip.Geometry.Columns), readVoltageV, cancellationToken);

    public static Task<BlockReadResult> ReadColumnAsync(this IChip chip, int column, double readVoltageV, CancellationToken cancellationToken) =>
        chip.ReadBlockAsync(CellBlock.SingleColumn(column, chip.Geometry.Rows), readVoltageV, cancellationToken);

    public static Task<BlockReadResult> ReadArrayAsync(this IChip chip, double readVoltageV, CancellationToken cancellationToken) =>
        chip.ReadBlockAsync(chip.Geometry.All, readVoltageV, cancellationToken);

    public static bool Supports(this IChip chip, ChipCapabilities capability) => (chip.Capabilities & capability) == capability;

    /// <summary>The first chip of type <typeparamref name="T"/> under any decorators (e.g. the emulator behind SafeChip), or null.</summary>
    public static T? Unwrap<T>(this IChip chip)
        where T : class, IChip
    {
        for (IChip? c = chip; c is not null; c = (c as IChipDecorator)?.Inner)
        {
            if (c is T match)
            {
                return match;
            }
        }

        return null;
    }
}
