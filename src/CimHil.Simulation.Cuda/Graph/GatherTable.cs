using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;

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

    /// <summary>
    /// The output's per-image dimensions and, for each element of each input in turn (row-major, input after input), the
    /// row-major index of the output element it becomes, for the multi-input data movement <paramref name="node"/> (a Concat)
    /// on images of dimensions <paramref name="dims"/>: the inputs are numbered 1, 2, 3, … across all of them and the CPU
    /// node is run once.
    /// </summary>
    public static (int[] Dims, int[] Destinations) Scatter(GraphNode node, IReadOnlyList<IReadOnlyList<int>> dims)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(dims);
        var counts = dims.Select(d => d.Aggregate(1L, (a, b) => a * b)).ToArray();
        var total = counts.Sum();
        if (total >= MaxElements)
        {
            throw new CudaException($"{total} elements per image exceed the {MaxElements} of the gather probe");
        }

        var probes = new Tensor[dims.Count];
        var next = 1;
        for (var i = 0; i < probes.Length; i++)
        {
            var data = new float[counts[i]];
            for (var j = 0; j < data.Length; j++)
            {
                data[j] = next++;
            }

            probes[i] = Tensor.FromArray(data, [1, .. dims[i]]);
        }

        var y = node.Forward(probes, ForwardContext.Inference);
        var destinations = new int[total];
        Array.Fill(destinations, -1);
        for (var o = 0; o < y.Data.Length; o++)
        {
            destinations[(int)y.Data[o] - 1] = o;
        }

        if (y.Data.Length != total || destinations.Contains(-1))
        {
            throw new CudaException($"{node.Describe()} does not place every input element exactly once");
        }

        return (y.ShapeArray()[1..], destinations);
    }
}
