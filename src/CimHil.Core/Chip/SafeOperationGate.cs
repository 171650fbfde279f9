using Serilog;

namespace CimHil.Core.Chip;

/// <summary>
/// Runs a driver's bench operations one at a time and, when one fails (cancellation included), brings the bench to its
/// safe state before the error propagates. If the safe state fails too, that is logged and the original error wins:
/// it says what went wrong first.
/// </summary>
public sealed class SafeOperationGate(Func<CancellationToken, Task> safeState, ILogger logger, string bench) : IDisposable
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
        catch (Exception ex)
        {
            try
            {
                await safeState(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception safeError)
            {
                logger.Error(safeError, "{Bench}: safe state after {Error} failed too", bench, ex.Message);
            }

            throw;
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();
}
