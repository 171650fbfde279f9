namespace CimHil.Core.Chip;

/// <summary>
/// A chip whose own <see cref="IAsyncDisposable.DisposeAsync"/> brings its instruments to the safe state (through
/// <see cref="SafeStateOnClose"/>) before it closes them. <see cref="Safety.SafeChip"/> then leaves the safe state on close to
/// it, so an instrument gets one safe-state sequence per close, not two.
/// </summary>
public interface ISafeStateOnDispose
{
}
