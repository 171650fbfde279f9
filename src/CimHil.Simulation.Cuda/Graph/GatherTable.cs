using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Cuda.Graph;

/// <summary>
/// Where each output element of a data-movement module (Reshape, Transpose, Pad) comes from: the CPU module is run once on one
/// image holding 1, 2, 3, … (exact in float up to 2^24 elements), so the table is the CPU's own data movement.
/// </summary>
public static class GatherTable
{
    /// <summary>Most elements per image the probe can number exactly.</summary>
    public const int MaxElements = 1 << 24;

    /// <summary>
    /// The output's per-image dimensions and, per output element (row-major), the row-major index of the input element it
    /// holds, −1 for a zero, for <paramref name="module"/> on an image of dimensions <paramref name="dims"/>.
    /// </summary>
    public static (int[] Dims, int[] Sources) Of(Module module, IReadOnlyList<int> dims)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(dims);
        var count = dims.Aggregate(1L, (a, b) => a * b);
        if (count >= MaxElements)
        {
            throw new CudaException($"{count} elements per image exceed the {MaxElements} of the gather probe");
        }

        var probe = new float[count];
        for (var i = 0; i < count; i++)
        {
            probe[i] = i + 1;
        }

        var y = module.Forward(Tensor.FromArray(probe, [1, .. dims]), ForwardContext.Inference);
        return (y.ShapeArray()[1..], y.Data.Select(v => (int)v - 1).ToArray());
    }
}
