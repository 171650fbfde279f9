using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Cuda.Converters;

/// <summary>
/// The per-slice weights of a run of consecutive chips for the tiled forward, laid out per layer as [chip][slice][O·K] (one
/// strided-batched product per slice at offset slice·O·K), and each chip's output factors, per layer [chip]; each chip
/// programmed and drawn exactly as the CPU's tiled path (<see cref="SimulatedChip.Program"/>, <see cref="SimulatedChip.SliceWeights"/>,
/// <see cref="SimulatedChip.OutputFactors"/>).
/// </summary>
internal sealed class ChipSliceWeights : ILaunchWeights
{
    private readonly SimulatedChip[] _chips;
    private readonly float[][] _layers;
    private readonly float[][] _factors;
    private readonly int[] _sizes;

    private ChipSliceWeights(SimulatedChip[] chips, MappedNetwork mapped)
    {
        _chips = chips;
        _sizes = mapped.Layers.Select(l => l.SliceCount * l.OutputCount * l.FanIn).ToArray();
        _layers = _sizes.Select(s => new float[(long)s * chips.Length]).ToArray();
        _factors = mapped.Layers.Select((_, l) => chips.Select(c => (float)c.OutputFactors[l]).ToArray()).ToArray();
    }

    public int Count => _chips.Length;

    /// <summary>Programs chips <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 (in parallel; each from its own stream).</summary>
    public static ChipSliceWeights Program(MappedNetwork mapped, VariationSpec variation, long seed, int first, int count)
    {
        var chips = new SimulatedChip[count];
        Parallel.For(0, count, i => chips[i] = SimulatedChip.Program(mapped, variation, seed, first + i));
        return new ChipSliceWeights(chips, mapped);
    }

    /// <summary>Fills the layers with every chip's slice weights for inference batch <paramref name="batch"/>.</summary>
    public void Draw(long batch) =>
        Parallel.For(0, _chips.Length, i =>
        {
            var slices = _chips[i].SliceWeights(batch);
            for (var l = 0; l < slices.Length; l++)
            {
                var at = (long)i * _sizes[l];
                foreach (var s in slices[l])
                {
                    s.CopyTo(_layers[l].AsSpan((int)at, s.Length));
                    at += s.Length;
                }
            }
        });

    /// <summary>Layer <paramref name="layer"/>'s slice weights of all chips, [chip][slice][O·K].</summary>
    public ReadOnlySpan<float> Layer(int layer) => _layers[layer];

    /// <summary>Layer <paramref name="layer"/>'s output factor of each chip (float, as CrossbarForward multiplies).</summary>
    public ReadOnlySpan<float> Factors(int layer) => _factors[layer];

    /// <inheritdoc/>
    public void Upload(IBatchedForward forward)
    {
        var tiled = (TiledForward)forward;
        for (var l = 0; l < _layers.Length; l++)
        {
            tiled.UploadWeights(l, _layers[l], 0);
            tiled.UploadFactors(l, _factors[l]);
        }
    }
}
