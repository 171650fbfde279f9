using Serilog;

namespace CimHil.Core.Chip;

/// <summary>
/// Runs a driver's bench operations one at a time, so two callers never interleave the commands of two operations on
/// the same instruments. It no longer brings the bench to its safe state on failure: <see cref="Safety.SafeChip"/>,
/// which wraps every connected chip, does that once per failure (it ran twice while both did).
/// </summary>
public sealed class SafeOperationGate : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    public SafeOperationGate()
    {
    }

    /// <summary>
    /// The constructor drivers used while the gate ran their safe state: it is kept so they build unchanged, and the
    /// safe state they pass is not run here (see the class summary). Drivers move to the parameterless constructor.
    /// </summary>
    public SafeOperationGate(Func<CancellationToken, Task> safeState, ILogger logger, string bench)
    {
        ArgumentNullException.ThrowIfNull(safeState);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(bench);
    }

    public async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await operation(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
