namespace CimHil.Simulation.Nn;

/// <summary>
/// Folds inference-mode BatchNorm into the preceding convolution: W' = W·s, b' = b·s + t with s = γ/√(σ²+ε),
/// t = β − μ·s per output channel (Jacob et al., "Quantization and Training of Neural Networks for Efficient
/// Integer-Arithmetic-Only Inference", CVPR 2018, §3.2). The folded weights are what a crossbar stores.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>
    /// Rewrites every Conv2d→BatchNorm2d pair (adjacent in a Sequential or a residual branch) of <paramref name="network"/>
    /// into one biased Conv2d followed by Identity, and returns the folded network (architecture "&lt;name&gt;-folded").
    /// The rewrite reuses the module tree: do not use <paramref name="network"/> afterwards (load a fresh copy if needed).
    /// </summary>
    public static Network FoldInPlace(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Fold(network.Body);
        return new Network(network.Architecture.EndsWith("-folded", StringComparison.Ordinal) ? network.Architecture : network.Architecture + "-folded", network.Body, network.InputShape, network.ClassCount);
    }

    /// <summary>Number of BatchNorm2d layers in a network (0 after folding).</summary>
    public static int BatchNormCount(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.Modules.Count(m => m.Module is BatchNorm2d);
    }

    private static void Fold(Module m)
    {
        switch (m)
        {
            case Sequential s:
                FoldSequential(s);
                break;
            case ResidualBlock r:
                FoldSequential(r.Main);
                if (r.Shortcut is not null)
                {
                    Fold(r.Shortcut);
                }

                return;
        }

        foreach (var (_, child) in m.Children())
        {
            Fold(child);
        }
    }

    private static void FoldSequential(Sequential s)
    {
        var layers = s.Layers.ToList();
        for (var i = 0; i + 1 < layers.Count; i++)
        {
            if (layers[i].Module is not Conv2d conv || layers[i + 1].Module is not BatchNorm2d bn)
            {
                continue;
            }

            var (scale, shift) = bn.InferenceAffine();
            var fanIn = conv.FanIn;
            var w = new float[conv.Weight.Length];
            var b = new float[conv.OutChannels];
            for (var o = 0; o < conv.OutChannels; o++)
            {
                for (var j = 0; j < fanIn; j++)
                {
                    w[(o * fanIn) + j] = conv.Weight.Data[(o * fanIn) + j] * scale[o];
                }

                b[o] = ((conv.Bias?.Data[o] ?? 0f) * scale[o]) + shift[o];
            }

            s.Replace(layers[i].Name, new Conv2d(conv.InChannels, conv.OutChannels, conv.Kernel, w, b, conv.Stride, conv.Padding));
            s.Replace(layers[i + 1].Name, new Identity());
        }
    }
}
