namespace CimHil.Simulation.Cuda.Converters;

/// <summary>How one mapped layer is cut into crossbar tiles (CrossbarForward's loops, as data).</summary>
/// <param name="FanIn">Rows of the unfolded input (C·k·k, or the input features).</param>
/// <param name="Outputs">Output channels or features.</param>
/// <param name="Slices">Device slices per weight: one partial product per row tile and slice.</param>
/// <param name="TileColumns">Outputs sharing one ADC range.</param>
/// <param name="RowTiles">The row tiles in the order their partial sums are added.</param>
public sealed record LayerTiling(int FanIn, int Outputs, int Slices, int TileColumns, IReadOnlyList<RowTile> RowTiles)
{
    /// <summary>Column tiles: ⌈Outputs / TileColumns⌉.</summary>
    public int ColumnTiles => (Outputs + TileColumns - 1) / TileColumns;
}
