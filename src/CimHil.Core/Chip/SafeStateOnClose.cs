using Serilog;

namespace CimHil.Core.Chip;

/// <summary>
/// The safe state a driver sends as it closes. A failure is logged, not thrown: the instruments must still be closed,
/// and an exception from DisposeAsync would hide the error that made the caller close the chip.
/// </summary>
public static class SafeStateOnClose
{
    public static async Task RunAsync(Func<CancellationToken, Task> safeState, ILogger logger, string bench)
    {
        ArgumentNullException.ThrowIfNull(safeState);
        ArgumentNullException.ThrowIfNull(logger);
        try
        {
            await safeState(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.Error(ex, "{Bench} did not confirm its safe state on close", bench);
        }
    }
}
