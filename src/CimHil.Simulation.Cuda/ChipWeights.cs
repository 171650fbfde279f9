using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// The effective weights of a run of consecutive chips, laid out per layer as [chip][O·K] for one strided-batched upload;
/// each chip programmed and drawn exactly as the CPU path does (<see cref="SimulatedChip.Program"/>, <see cref="SimulatedChip.EffectiveWeights"/>).
/// </summary>
internal sealed class ChipWeights : ILaunchWeights
{
    private readonly SimulatedChip[] _chips;
    private readonly float[][] _layers;
    private readonly int[] _sizes;

    private ChipWeights(SimulatedChip[] chips, MappedNetwork mapped)
    {
        _chips = chips;
        _sizes = mapped.Layers.Select(l => l.OutputCount * l.FanIn).ToArray();
        _layers = _sizes.Select(s => new float[(long)s * chips.Length]).ToArray();
    }

    public int Count => _chips.Length;

    /// <summary>Programs chips <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 (in parallel; each from its own stream).</summary>
    public static ChipWeights Program(MappedNetwork mapped, VariationSpec variation, long seed, int first, int count)
    {
        var chips = new SimulatedChip[count];
        Parallel.For(0, count, i => chips[i] = SimulatedChip.Program(mapped, variation, seed, first + i));
        return new ChipWeights(chips, mapped);
    }

    /// <summary>Fills the layers with every chip's weights for inference batch <paramref name="batch"/>.</summary>
    public void Draw(long batch)
    {
        Parallel.For(0, _chips.Length, () => _sizes.Select(s => new float[s]).ToArray(), (i, _, buffers) =>
        {
            _chips[i].EffectiveWeights(batch, buffers);
            for (var l = 0; l < buffers.Length; l++)
            {
                buffers[l].CopyTo(_layers[l].AsSpan(i * _sizes[l], _sizes[l]));
            }

            return buffers;
        }, _ => { });
    }

    /// <summary>Layer <paramref name="layer"/>'s weights of all chips, [chip][O·K].</summary>
    public ReadOnlySpan<float> Layer(int layer) => _layers[layer];

    /// <inheritdoc/>
    public void Upload(IBatchedForward forward)
    {
        for (var l = 0; l < _layers.Length; l++)
        {
            forward.UploadWeights(l, _layers[l], 0);
        }
    }
}
