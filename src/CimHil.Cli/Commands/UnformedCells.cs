using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Cli.Commands;

/// <summary>
/// Warns when a SET, RESET or read meets cells that are not formed on a technology that needs forming: such a cell does
/// not switch and reads near 0 S, which looks like a dead chip rather than a missing step.
/// </summary>
public static class UnformedCells
{
    /// <summary>Logs one warning naming the unformed cells of <paramref name="block"/> (the first few), if any; returns how many.</summary>
    public static int Warn(IChip chip, CellBlock block, string operation, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(logger);
        if (!chip.Supports(ChipCapabilities.RequiresForming) || chip.Unwrap<IFormingState>() is not { } state)
        {
            return 0;
        }

        var unformed = new List<CellAddress>();
        for (var r = block.Row; r < block.Row + block.Rows && r < chip.Geometry.Rows; r++)
        {
            for (var c = block.Column; c < block.Column + block.Columns && c < chip.Geometry.Columns; c++)
            {
                var cell = new CellAddress(r, c);
                if (!state.IsFormed(cell))
                {
                    unformed.Add(cell);
                }
            }
        }

        if (unformed.Count == 0)
        {
            return 0;
        }

        var named = string.Join(", ", unformed.Take(4)) + (unformed.Count > 4 ? ", …" : string.Empty);
        logger.Warning(
            "{Operation} on {Count} unformed cell(s) ({Cells}): {Technology} cells need forming, and unformed ones do not switch and read near 0 S; form them first (cimhil form --cell R,C)",
            operation,
            unformed.Count,
            named,
            // A string, not the enum: Serilog quotes enum values in the in-process sink's rendering.
            chip.Identity.Technology.ToString().ToUpperInvariant());
        return unformed.Count;
    }
}
