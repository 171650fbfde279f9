using CimHil.Core.Chip;
using CimHil.Instruments.Switching;

namespace CimHil.Instruments.DriverSupport;

/// <summary>
/// Routes single cells of a rows × columns array through a <see cref="Keithley707B"/> (the cabling maps a cell to its
/// crosspoints), remembering which cell is routed so that repeated operations on one cell move no relay.
/// <see cref="OpenAllAsync"/> forgets the route before it opens.
/// </summary>
public sealed class MatrixRouter(Keithley707B matrix, MatrixCabling cabling, int rows, int columns)
{
    private CellAddress? _routed;

    public Keithley707B Matrix { get; } = matrix ?? throw new ArgumentNullException(nameof(matrix));

    /// <summary>Routes <paramref name="cell"/> unless it is routed already.</summary>
    public async Task RouteAsync(CellAddress cell, CancellationToken cancellationToken)
    {
        if (_routed == cell)
        {
            return;
        }

        // Unknown until the matrix confirms: a failed route must not be mistaken for the old one.
        _routed = null;
        await Matrix.ExclusiveCloseAsync(cabling.Crosspoints(cell, rows, columns), cancellationToken).ConfigureAwait(false);
        _routed = cell;
    }

    /// <summary>Every crosspoint open (the safe state); the route is forgotten first, whatever the outcome.</summary>
    public Task OpenAllAsync(CancellationToken cancellationToken)
    {
        _routed = null;
        return Matrix.OpenAllAsync(cancellationToken);
    }
}
