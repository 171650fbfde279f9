using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Nn;

/// <summary>A layer or a container of layers. Parameters and buffers are named as in a PyTorch state_dict.</summary>
public abstract class Module
{
    /// <summary>Dotted path from the network root, e.g. "conv1" or "layer1.0.conv2"; set by <see cref="Network"/>.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>Computes the output for one batch.</summary>
    public abstract Tensor Forward(Tensor input, ForwardContext context);

    /// <summary>Direct children with their local names (containers override).</summary>
    public virtual IEnumerable<(string Name, Module Module)> Children() => [];

    /// <summary>This module's own trainable tensors with local names ("weight", "bias").</summary>
    public virtual IEnumerable<(string Name, Tensor Tensor)> LocalParameters() => [];

    /// <summary>This module's own non-trainable state (BatchNorm running statistics) with local names.</summary>
    public virtual IEnumerable<(string Name, Tensor Tensor)> LocalBuffers() => [];

    /// <summary>Short description for summaries, e.g. "Conv2d(1→6, 5×5, pad 2)".</summary>
    public virtual string Describe() => GetType().Name;
}

/// <summary>Per-forward-pass settings: training mode, weight substitutions and CiM hooks. Never copies the model.</summary>
public sealed record ForwardContext
{
    /// <summary>Inference mode, nominal weights, no hooks.</summary>
    public static ForwardContext Inference { get; } = new();

    /// <summary>Training mode (BatchNorm uses and updates batch statistics), nominal weights.</summary>
    public static ForwardContext Train { get; } = new() { Training = true };

    /// <summary>BatchNorm uses batch statistics and updates its running statistics when true.</summary>
    public bool Training { get; init; }

    /// <summary>Replacement / additive perturbation of weighted layers' weights for this pass (null: nominal).</summary>
    public WeightOverrides? Weights { get; init; }

    /// <summary>Applied to a weighted layer's input before the multiply (e.g. DAC quantisation); null: identity.</summary>
    public Func<IWeightedLayer, Tensor, Tensor>? InputTransform { get; init; }

    /// <summary>Applied to a weighted layer's MVM result before the (digital) bias is added (e.g. ADC quantisation, read noise).</summary>
    public Func<IWeightedLayer, Tensor, Tensor>? OutputTransform { get; init; }

    /// <summary>The weight a layer must use in this pass (differentiable w.r.t. the nominal weight and any ΔW leaf).</summary>
    public Tensor EffectiveWeight(IWeightedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return Weights is null ? layer.Weight : Weights.Resolve(layer);
    }
}

/// <summary>The kind of a weighted layer.</summary>
public enum WeightedLayerKind
{
    /// <summary>nn.Linear: weight [out, in].</summary>
    Linear,

    /// <summary>nn.Conv2d: weight [out, in, kh, kw], used as the matrix [out, in·kh·kw].</summary>
    Conv2d,
}

/// <summary>
/// A layer computing y = W·x (+ b) that a crossbar implements: Linear and Conv2d. Its weight matrix is
/// [<see cref="OutputCount"/> rows × <see cref="FanIn"/> columns], row-major, i.e. <see cref="Weight"/>'s data as is.
/// </summary>
public interface IWeightedLayer
{
    /// <summary>Dotted path, e.g. "conv1"; the state_dict key of the weight is Path + ".weight".</summary>
    string Path { get; }

    /// <summary>Linear or Conv2d.</summary>
    WeightedLayerKind Kind { get; }

    /// <summary>The nominal (trained) weight tensor; a leaf that requires grad.</summary>
    Tensor Weight { get; }

    /// <summary>The bias [out] or null.</summary>
    Tensor? Bias { get; }

    /// <summary>Rows of the weight matrix: output features / output channels.</summary>
    int OutputCount { get; }

    /// <summary>Columns of the weight matrix: in features, or in channels · kh · kw.</summary>
    int FanIn { get; }
}

/// <summary>Extensions on <see cref="IWeightedLayer"/>.</summary>
public static class WeightedLayerExtensions
{
    /// <summary>The weight as a [OutputCount, FanIn] matrix view (shares data with <see cref="IWeightedLayer.Weight"/>).</summary>
    public static Tensor WeightMatrix(this IWeightedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new Tensor(layer.Weight.Data, layer.OutputCount, layer.FanIn);
    }
}

/// <summary>
/// Substitutes and/or perturbs weighted layers' weights for forward passes without copying the model:
/// W_eff = (replacement ?? W) + ΔW. Gradients flow to W (unless replaced), to a replacement that requires grad, and to ΔW.
/// </summary>
public sealed class WeightOverrides
{
    private readonly Dictionary<IWeightedLayer, Tensor> _replace = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<IWeightedLayer, Tensor> _add = new(ReferenceEqualityComparer.Instance);

    /// <summary>True when nothing is overridden.</summary>
    public bool IsEmpty => _replace.Count == 0 && _add.Count == 0;

    /// <summary>Uses <paramref name="weight"/> (same shape as the layer's weight) instead of the nominal one.</summary>
    public WeightOverrides Replace(IWeightedLayer layer, Tensor weight)
    {
        return Set(_replace, layer, weight, "replacement");
    }

    /// <summary>Adds ΔW (same shape as the layer's weight); make ΔW a leaf with RequiresGrad to get ∂loss/∂ΔW.</summary>
    public WeightOverrides Add(IWeightedLayer layer, Tensor delta)
    {
        return Set(_add, layer, delta, "perturbation");
    }

    /// <summary>Removes the overrides of one layer.</summary>
    public void Remove(IWeightedLayer layer)
    {
        _replace.Remove(layer);
        _add.Remove(layer);
    }

    /// <summary>Removes all overrides.</summary>
    public void Clear()
    {
        _replace.Clear();
        _add.Clear();
    }

    /// <summary>The replacement registered for a layer, if any.</summary>
    public Tensor? ReplacementOf(IWeightedLayer layer) => _replace.GetValueOrDefault(layer);

    /// <summary>The perturbation registered for a layer, if any.</summary>
    public Tensor? PerturbationOf(IWeightedLayer layer) => _add.GetValueOrDefault(layer);

    /// <summary>(replacement ?? W) + ΔW for this layer.</summary>
    public Tensor Resolve(IWeightedLayer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        var w = _replace.GetValueOrDefault(layer) ?? layer.Weight;
        return _add.TryGetValue(layer, out var d) ? Ops.Add(w, d) : w;
    }

    private WeightOverrides Set(Dictionary<IWeightedLayer, Tensor> overrides, IWeightedLayer layer, Tensor tensor, string what)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(tensor);
        CheckShape(layer, tensor, what);
        overrides[layer] = tensor;
        return this;
    }

    private static void CheckShape(IWeightedLayer layer, Tensor t, string what)
    {
        if (!t.Shape.SequenceEqual(layer.Weight.Shape))
        {
            throw new ArgumentException($"Weight {what} for layer '{layer.Path}' has shape {t.ShapeString()}, the layer's weight is {layer.Weight.ShapeString()}.");
        }
    }
}
