using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;

namespace CimHil.Simulation.Cuda.Converters;

/// <summary>
/// The tiles and converter ranges of a mapped network with DAC/ADC converters, read once from its calibrated
/// <see cref="PeripheryRanges"/>: what <see cref="TiledForward"/> launches per layer (a DAC pass per row tile, one product and
/// one ADC-and-add per row tile and slice), in <see cref="CrossbarForward.Compute"/>'s order (row tiles outer, slices inner).
/// </summary>
public sealed class ConverterTiling
{
    private readonly int[][] _adcOffsets;

    private ConverterTiling(IReadOnlyList<LayerTiling> layers, double[] adcTable, int[][] adcOffsets)
    {
        Layers = layers;
        AdcTable = adcTable;
        _adcOffsets = adcOffsets;
    }

    /// <summary>Per mapped layer (the network's weighted-layer order).</summary>
    public IReadOnlyList<LayerTiling> Layers { get; }

    /// <summary>
    /// Every ADC's (step, 1/step) pair, per layer, row tile, slice and column tile (the last fastest): uploaded once, each
    /// ADC-and-add launch reads its column tiles' pairs from <see cref="AdcOffset"/>.
    /// </summary>
    public IReadOnlyList<double> AdcTable { get; }

    /// <summary>Why the GPU cannot run <paramref name="mapped"/>'s converters, or null when it can.</summary>
    public static string? Unsupported(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        if (InferencePlan.TryCompile(mapped.Network) is null)
        {
            // CrossbarForward runs on any graph of plain Conv2d and Linear layers on the CPU; the GPU's tiled forward exists
            // for the InferencePlan chain only (the graph path's convolutions are general, grouped im2col products).
            return $"DAC/ADC converters (the tiled crossbar forward) run on the GPU only for chains of Conv2d, Linear, ReLU, MaxPool2d and Flatten (e.g. LeNet-5); {mapped.Network.Architecture} takes the graph path, which has no converters yet";
        }

        return mapped.Ranges is null ? "the mapping has DAC/ADC converters but no calibrated ranges (MappedNetwork.CalibratePeriphery)" : null;
    }

    /// <summary>The tiling of <paramref name="mapped"/> (which has converters and calibrated ranges).</summary>
    public static ConverterTiling Of(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var ranges = mapped.Ranges ?? throw new InvalidOperationException("The mapping uses DAC/ADC quantisation: call MappedNetwork.CalibratePeriphery before evaluating.");
        var o = mapped.Options;
        var layers = new List<LayerTiling>();
        var table = new List<double>();
        var offsets = new int[mapped.Layers.Count][];
        for (var l = 0; l < mapped.Layers.Count; l++)
        {
            var layer = mapped.Layers[l];
            var rowTiles = (layer.FanIn + o.TileRows - 1) / o.TileRows;
            var colTiles = (layer.OutputCount + o.TileColumns - 1) / o.TileColumns;
            var tiles = new List<RowTile>();
            offsets[l] = new int[rowTiles * layer.SliceCount];
            for (var t = 0; t < rowTiles; t++)
            {
                var k0 = t * o.TileRows;
                var dac = o.DacBits is { } db ? Quantizer.For(ranges.Dac[l][t], db) : null;
                Quantizer[][]? adc = null;
                if (o.AdcBits is { } ab)
                {
                    adc = new Quantizer[colTiles][];
                    for (var ct = 0; ct < colTiles; ct++)
                    {
                        adc[ct] = ranges.Adc[l][t][ct].Select(r => Quantizer.For(r, ab)).ToArray();
                    }
                }

                for (var s = 0; s < layer.SliceCount; s++)
                {
                    offsets[l][(t * layer.SliceCount) + s] = table.Count;
                    for (var ct = 0; ct < colTiles; ct++)
                    {
                        table.Add(adc?[ct][s].Step ?? 0);
                        table.Add(adc?[ct][s].Inverse ?? 0);
                    }
                }

                tiles.Add(new RowTile(k0, Math.Min(o.TileRows, layer.FanIn - k0), dac, adc));
            }

            layers.Add(new LayerTiling(layer.FanIn, layer.OutputCount, layer.SliceCount, o.TileColumns, tiles));
        }

        return new ConverterTiling(layers, [.. table], offsets);
    }

    /// <summary>Index in <see cref="AdcTable"/> of the first (step, 1/step) pair of layer <paramref name="layer"/>, row tile <paramref name="rowTile"/>, slice <paramref name="slice"/>.</summary>
    public int AdcOffset(int layer, int rowTile, int slice) => _adcOffsets[layer][(rowTile * Layers[layer].Slices) + slice];

    /// <summary>The ADC's largest code for the kernels, 0 without an ADC.</summary>
    public int AdcMaxCode(int layer) => Layers[layer].RowTiles[0].Adc?[0][0].MaxCode ?? 0;
}
