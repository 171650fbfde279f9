using CimHil.Core.Chip;
using CimHil.Emulator;

namespace CimHil.Drivers.Emulator;

/// <summary>
/// The in-process emulator with its state kept in <c>emulator.stateFile</c> between commands: loaded at connect (by the
/// driver), saved when the command lets go of the chip, whatever the command did — a real array keeps what a failed or
/// cancelled command did to it too.
/// </summary>
internal sealed class PersistedEmulatedChip(EmulatedChip inner, string stateFile) : IChip, IChipDecorator
{
    public IChip Inner => inner;

    public ChipIdentity Identity => inner.Identity;

    public ArrayGeometry Geometry => inner.Geometry;

    public ChipCapabilities Capabilities => inner.Capabilities;

    public IChipClock Clock => inner.Clock;

    public Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken) => inner.ApplyPulseAsync(cell, pulse, cancellationToken);

    public Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken) => inner.FormAsync(cell, pulse, cancellationToken);

    public Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken) => inner.ReadCellAsync(cell, readVoltageV, cancellationToken);

    public Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken) => inner.ReadBlockAsync(block, readVoltageV, cancellationToken);

    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken) => inner.MultiplyAsync(rowVoltagesV, cancellationToken);

    public Task SafeStateAsync(CancellationToken cancellationToken) => inner.SafeStateAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Not cancellable: the command's token may be the one that was cancelled, and the state must still land.
            await EmulatorStateFile.SaveAsync(inner, stateFile, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await inner.DisposeAsync().ConfigureAwait(false);
        }
    }
}
