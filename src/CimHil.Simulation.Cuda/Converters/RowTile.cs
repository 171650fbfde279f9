namespace CimHil.Simulation.Cuda.Converters;

/// <summary>
/// One row tile of a mapped layer: crossbar rows <paramref name="FirstRow"/> … + <paramref name="Rows"/> − 1 of the unfolded
/// input, its DAC (null: ideal inputs) and the ADC of each (column tile, slice) partial sum (null: ideal).
/// </summary>
public sealed record RowTile(int FirstRow, int Rows, Quantizer? Dac, Quantizer[][]? Adc);
