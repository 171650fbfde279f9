using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Cuda.Graph;

/// <summary>
/// An inference-mode BatchNorm as the CPU computes it (Ops.BatchNorm2d): ((x − mean)·invStd)·γ + β per channel, four roundings,
/// with invStd = (float)(1 / √(var + ε)) in double. Kept as these four vectors, not folded into one scale and shift, so the
/// GPU's floats are the CPU's.
/// </summary>
/// <param name="Packed">[mean | invStd | γ | β], 4·C floats, the layout graph.cu's graph_epilogue reads.</param>
public sealed record ChannelAffine(float[] Packed)
{
    /// <summary>Channels.</summary>
    public int Channels => Packed.Length / 4;

    /// <summary>The affine of <paramref name="bn"/>'s running statistics.</summary>
    public static ChannelAffine Of(BatchNorm2d bn)
    {
        ArgumentNullException.ThrowIfNull(bn);
        var c = bn.Channels;
        var packed = new float[4 * c];
        for (var i = 0; i < c; i++)
        {
            packed[i] = bn.RunningMean.Data[i];
            packed[c + i] = (float)(1.0 / Math.Sqrt(bn.RunningVar.Data[i] + (double)bn.Epsilon));
            packed[(2 * c) + i] = bn.Gamma.Data[i];
            packed[(3 * c) + i] = bn.Beta.Data[i];
        }

        return new ChannelAffine(packed);
    }
}
