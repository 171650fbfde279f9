using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Nn;

/// <summary>Parameter initialisation matching PyTorch's defaults.</summary>
internal static class Init
{
    /// <summary>
    /// U(−1/√fan_in, 1/√fan_in): PyTorch's default for Linear/Conv weights (kaiming_uniform_ with a = √5 gives
    /// bound = √(6/((1+a²)·fan_in)) = 1/√fan_in) and biases (torch/nn/modules/linear.py reset_parameters).
    /// </summary>
    public static float[] Uniform(Random rng, int count, int fanIn)
    {
        var bound = 1.0 / Math.Sqrt(fanIn);
        var v = new float[count];
        for (var i = 0; i < count; i++)
        {
            v[i] = (float)(((rng.NextDouble() * 2) - 1) * bound);
        }

        return v;
    }
}

/// <summary>Fully connected layer y = x·Wᵀ + b (nn.Linear).</summary>
public sealed class Linear : Module, IWeightedLayer
{
    /// <summary>Creates the layer with PyTorch-default random initialisation.</summary>
    public Linear(int inFeatures, int outFeatures, Random rng, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = Tensor.Parameter(Init.Uniform(rng, inFeatures * outFeatures, inFeatures), outFeatures, inFeatures);
        Bias = bias ? Tensor.Parameter(Init.Uniform(rng, outFeatures, inFeatures), outFeatures) : null;
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <inheritdoc />
    public WeightedLayerKind Kind => WeightedLayerKind.Linear;

    /// <inheritdoc />
    public Tensor Weight { get; }

    /// <inheritdoc />
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public int OutputCount => OutFeatures;

    /// <inheritdoc />
    public int FanIn => InFeatures;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var w = context.EffectiveWeight(this);
        var x = context.InputTransform is null ? input : context.InputTransform(this, input);
        if (context.OutputTransform is null)
        {
            return Ops.Linear(x, w, Bias);
        }

        var y = context.OutputTransform(this, Ops.Linear(x, w, null));
        return Bias is null ? y : Ops.AddChannelBias(y, Bias);
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Tensor Tensor)> LocalParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    /// <inheritdoc />
    public override string Describe() => $"Linear({InFeatures}→{OutFeatures})";
}

/// <summary>2-D convolution (nn.Conv2d) with square kernel, stride and zero padding.</summary>
public sealed class Conv2d : Module, IWeightedLayer
{
    /// <summary>Creates the layer with PyTorch-default random initialisation.</summary>
    public Conv2d(int inChannels, int outChannels, int kernel, Random rng, int stride = 1, int padding = 0, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(rng);
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        var fanIn = inChannels * kernel * kernel;
        Weight = Tensor.Parameter(Init.Uniform(rng, outChannels * fanIn, fanIn), outChannels, inChannels, kernel, kernel);
        Bias = bias ? Tensor.Parameter(Init.Uniform(rng, outChannels, fanIn), outChannels) : null;
    }

    /// <summary>Creates the layer with the given weight [out, in, k, k] and optional bias [out] (copied).</summary>
    public Conv2d(int inChannels, int outChannels, int kernel, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int stride = 1, int padding = 0)
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Weight = Tensor.Parameter(weight.ToArray(), outChannels, inChannels, kernel, kernel);
        if (Weight.Length != outChannels * inChannels * kernel * kernel || (!bias.IsEmpty && bias.Length != outChannels))
        {
            throw new ArgumentException($"Conv2d({inChannels}→{outChannels}, {kernel}×{kernel}): weight of {weight.Length} or bias of {bias.Length} values does not fit.");
        }

        Bias = bias.IsEmpty ? null : Tensor.Parameter(bias.ToArray(), outChannels);
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Kernel height = width.</summary>
    public int Kernel { get; }

    /// <summary>Stride.</summary>
    public int Stride { get; }

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; }

    /// <inheritdoc />
    public WeightedLayerKind Kind => WeightedLayerKind.Conv2d;

    /// <inheritdoc />
    public Tensor Weight { get; }

    /// <inheritdoc />
    public Tensor? Bias { get; }

    /// <inheritdoc />
    public int OutputCount => OutChannels;

    /// <inheritdoc />
    public int FanIn => InChannels * Kernel * Kernel;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var w = context.EffectiveWeight(this);
        var x = context.InputTransform is null ? input : context.InputTransform(this, input);
        if (context.OutputTransform is null)
        {
            return Ops.Conv2d(x, w, Bias, Stride, Padding);
        }

        var y = context.OutputTransform(this, Ops.Conv2d(x, w, null, Stride, Padding));
        return Bias is null ? y : Ops.AddChannelBias(y, Bias);
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Tensor Tensor)> LocalParameters()
    {
        yield return ("weight", Weight);
        if (Bias is not null)
        {
            yield return ("bias", Bias);
        }
    }

    /// <inheritdoc />
    public override string Describe() => $"Conv2d({InChannels}→{OutChannels}, {Kernel}×{Kernel}, stride {Stride}, pad {Padding})";
}

/// <summary>Batch normalisation over channels of [N, C, H, W] (nn.BatchNorm2d, affine, tracking running stats).</summary>
public sealed class BatchNorm2d : Module
{
    /// <summary>Creates the layer: γ = 1, β = 0, running mean 0, running variance 1 (PyTorch defaults).</summary>
    public BatchNorm2d(int channels, float momentum = 0.1f, float epsilon = 1e-5f)
    {
        Channels = channels;
        Momentum = momentum;
        Epsilon = epsilon;
        var ones = new float[channels];
        Array.Fill(ones, 1f);
        Gamma = Tensor.Parameter(ones, channels);
        Beta = Tensor.Parameter(new float[channels], channels);
        RunningMean = Tensor.Zeros(channels);
        var ones2 = new float[channels];
        Array.Fill(ones2, 1f);
        RunningVar = new Tensor(ones2, channels);
    }

    /// <summary>Channels.</summary>
    public int Channels { get; }

    /// <summary>Running-statistics momentum (PyTorch convention: new = (1 − m)·old + m·batch).</summary>
    public float Momentum { get; }

    /// <summary>Added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>Scale γ ("weight" in the state_dict).</summary>
    public Tensor Gamma { get; }

    /// <summary>Shift β ("bias").</summary>
    public Tensor Beta { get; }

    /// <summary>Running mean ("running_mean").</summary>
    public Tensor RunningMean { get; }

    /// <summary>Running variance ("running_var").</summary>
    public Tensor RunningVar { get; }

    /// <summary>Training batches seen ("num_batches_tracked", int64 in PyTorch).</summary>
    public long BatchesTracked { get; set; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Training && Tensor.IsGradEnabled)
        {
            BatchesTracked++;
        }

        // Running statistics are only updated by recorded training passes, so a NoGrad evaluation in training mode
        // (e.g. a finite-difference probe) leaves the model's state untouched.
        var mean = context.Training && !Tensor.IsGradEnabled ? (float[])RunningMean.Data.Clone() : RunningMean.Data;
        var variance = context.Training && !Tensor.IsGradEnabled ? (float[])RunningVar.Data.Clone() : RunningVar.Data;
        return Ops.BatchNorm2d(input, Gamma, Beta, mean, variance, context.Training, Momentum, Epsilon);
    }

    /// <summary>Per-channel (scale, shift) of the inference-mode affine map y = scale·x + shift (for folding into a conv).</summary>
    public (float[] Scale, float[] Shift) InferenceAffine()
    {
        var scale = new float[Channels];
        var shift = new float[Channels];
        for (var c = 0; c < Channels; c++)
        {
            var s = Gamma.Data[c] / Math.Sqrt(RunningVar.Data[c] + (double)Epsilon);
            scale[c] = (float)s;
            shift[c] = (float)(Beta.Data[c] - (RunningMean.Data[c] * s));
        }

        return (scale, shift);
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Tensor Tensor)> LocalParameters()
    {
        yield return ("weight", Gamma);
        yield return ("bias", Beta);
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Tensor Tensor)> LocalBuffers()
    {
        yield return ("running_mean", RunningMean);
        yield return ("running_var", RunningVar);
    }

    /// <inheritdoc />
    public override string Describe() => $"BatchNorm2d({Channels})";
}

/// <summary>max(x, 0).</summary>
public sealed class Relu : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Ops.Relu(input);

    /// <inheritdoc />
    public override string Describe() => "ReLU";
}

/// <summary>Max pooling (nn.MaxPool2d without padding).</summary>
public sealed class MaxPool2d(int kernel, int stride = 0) : Module
{
    /// <summary>Window size.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride (defaults to the kernel).</summary>
    public int Stride { get; } = stride == 0 ? kernel : stride;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Ops.MaxPool2d(input, Kernel, Stride);

    /// <inheritdoc />
    public override string Describe() => $"MaxPool2d({Kernel}, stride {Stride})";
}

/// <summary>Average pooling (nn.AvgPool2d without padding); kernel 0 = global average over H×W.</summary>
public sealed class AvgPool2d(int kernel, int stride = 0) : Module
{
    /// <summary>Window size (0: the whole plane).</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride (defaults to the kernel).</summary>
    public int Stride { get; } = stride;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        var k = Kernel == 0 ? input.Dim(2) : Kernel;
        return Ops.AvgPool2d(input, k, Stride == 0 ? k : Stride);
    }

    /// <inheritdoc />
    public override string Describe() => Kernel == 0 ? "GlobalAvgPool" : $"AvgPool2d({Kernel})";
}

/// <summary>y = x (nn.Identity), e.g. where a BatchNorm was folded into its convolution.</summary>
public sealed class Identity : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => input;

    /// <inheritdoc />
    public override string Describe() => "Identity";
}

/// <summary>[N, …] → [N, rest] (nn.Flatten).</summary>
public sealed class Flatten : Module
{
    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Ops.Flatten(input);

    /// <inheritdoc />
    public override string Describe() => "Flatten";
}

/// <summary>Named layers applied in order (nn.Sequential, but with names of the caller's choice).</summary>
public sealed class Sequential : Module
{
    private readonly List<(string Name, Module Module)> _layers = [];

    /// <summary>Creates a container of named layers.</summary>
    public Sequential(params (string Name, Module Module)[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var l in layers)
        {
            Add(l.Name, l.Module);
        }
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<(string Name, Module Module)> Layers => _layers;

    /// <summary>Replaces the layer called <paramref name="name"/> (used by graph rewrites such as BatchNorm folding).</summary>
    internal void Replace(string name, Module module)
    {
        var i = _layers.FindIndex(l => l.Name == name);
        if (i < 0)
        {
            throw new ArgumentException($"No layer named '{name}' in this Sequential.", nameof(name));
        }

        _layers[i] = (name, module);
    }

    /// <summary>Appends a layer; names must be unique.</summary>
    public Sequential Add(string name, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        if (_layers.Any(l => l.Name == name))
        {
            throw new ArgumentException($"Layer name '{name}' is already used in this Sequential.", nameof(name));
        }

        _layers.Add((name, module));
        return this;
    }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var x = input;
        foreach (var (_, m) in _layers)
        {
            x = m.Forward(x, context);
        }

        return x;
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Module Module)> Children() => _layers;

    /// <inheritdoc />
    public override string Describe() => "Sequential";
}

/// <summary>y = ReLU(main(x) + shortcut(x)): the basic residual block of He et al., "Deep Residual Learning" (CVPR 2016).</summary>
public sealed class ResidualBlock : Module
{
    /// <summary>Creates the block; a null shortcut is the identity.</summary>
    public ResidualBlock(Sequential main, Module? shortcut)
    {
        ArgumentNullException.ThrowIfNull(main);
        Main = main;
        Shortcut = shortcut;
    }

    /// <summary>The residual branch; its layers appear directly under the block's path (e.g. "layer1.0.conv1").</summary>
    public Sequential Main { get; }

    /// <summary>Projection shortcut ("shortcut") or null for identity.</summary>
    public Module? Shortcut { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        var y = Main.Forward(input, context);
        var s = Shortcut is null ? input : Shortcut.Forward(input, context);
        return Ops.Relu(Ops.Add(y, s));
    }

    /// <inheritdoc />
    public override IEnumerable<(string Name, Module Module)> Children()
    {
        foreach (var c in Main.Layers)
        {
            yield return c;
        }

        if (Shortcut is not null)
        {
            yield return ("shortcut", Shortcut);
        }
    }

    /// <inheritdoc />
    public override string Describe() => Shortcut is null ? "ResidualBlock(identity)" : "ResidualBlock(projection)";
}
