using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace CimHil.Simulation.Engine.Kernels;

/// <summary>The epilogue of a convolution or linear layer on channel-major output: per-channel bias, then ReLU, in one pass.</summary>
internal static class ChannelEpilogue
{
    /// <summary>Adds bias[ch] to every element of channel ch's row of <paramref name="y"/> and clamps at 0 when <paramref name="relu"/>.</summary>
    public static void BiasRelu(Span<float> y, int channels, float[]? bias, bool relu)
    {
        var per = y.Length / channels;
        for (var ch = 0; ch < channels; ch++)
        {
            var row = y.Slice(ch * per, per);
            if (bias is not null)
            {
                TensorPrimitives.Add(row, bias[ch], row);
            }

            if (relu)
            {
                TensorPrimitives.Max(row, 0f, row);
            }
        }
    }
}
