using CimHil.Core.Chip;
using CimHil.Emulator;

namespace CimHil.Drivers.Emulator;

/// <summary>
/// The in-process emulator with its state kept in <c>emulator.stateFile</c> between commands: loaded at connect (by the
/// driver), saved when the command lets go of the chip, whatever the command did — a real array keeps what a failed or
/// cancelled command did to it too.
/// </summary>
internal sealed class PersistedEmulatedChip(EmulatedChip inner, string stateFile) : ForwardingChip(inner)
{
    private readonly EmulatedChip _emulator = inner;

    public override async ValueTask DisposeAsync()
    {
        try
        {
            // Not cancellable: the command's token may be the one that was cancelled, and the state must still land.
            await EmulatorStateFile.SaveAsync(_emulator, stateFile, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await base.DisposeAsync().ConfigureAwait(false);
        }
    }
}
