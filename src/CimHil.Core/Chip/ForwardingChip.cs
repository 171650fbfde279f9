namespace CimHil.Core.Chip;

/// <summary>
/// A decorator that passes every operation to <see cref="Inner"/>; a subclass overrides only what it adds (the emulator's
/// state kept on dispose, a test's failing save), so the forwarding is written once.
/// </summary>
public abstract class ForwardingChip(IChip inner) : IChip, IChipDecorator
{
    public IChip Inner => inner;

    public virtual ChipIdentity Identity => inner.Identity;

    public virtual ArrayGeometry Geometry => inner.Geometry;

    public virtual ChipCapabilities Capabilities => inner.Capabilities;

    public virtual IChipClock Clock => inner.Clock;

    public virtual Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken) => inner.ApplyPulseAsync(cell, pulse, cancellationToken);

    public virtual Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken) => inner.FormAsync(cell, pulse, cancellationToken);

    public virtual Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken) => inner.ReadCellAsync(cell, readVoltageV, cancellationToken);

    public virtual Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken) => inner.ReadBlockAsync(block, readVoltageV, cancellationToken);

    public virtual Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken) => inner.MultiplyAsync(rowVoltagesV, cancellationToken);

    public virtual Task SafeStateAsync(CancellationToken cancellationToken) => inner.SafeStateAsync(cancellationToken);

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return inner.DisposeAsync();
    }
}
