namespace CimHil.Core.Chip;

/// <summary>
/// Runs a driver's bench operations one at a time, so two callers never interleave the commands of two operations on
/// the same instruments. It does not bring the bench to its safe state on failure: <see cref="Safety.SafeChip"/>,
/// which wraps every connected chip, does that once per failure (it ran twice while both did).
/// </summary>
public sealed class BenchOperationGate : IDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);

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
