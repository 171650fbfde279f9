using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>An elementwise activation of an imported graph (LeakyRelu, Clip, Sigmoid, Tanh) with its derivative.</summary>
public sealed class Activation : Module
{
    private readonly Func<float, float> _f;
    private readonly Func<float, float, float> _derivative;

    private Activation(string name, ActivationKind kind, float a, float b, Func<float, float> f, Func<float, float, float> derivative)
    {
        Name = name;
        Kind = kind;
        A = a;
        B = b;
        _f = f;
        _derivative = derivative;
    }

    /// <summary>Description, e.g. "Clip(0, 6)".</summary>
    public string Name { get; }

    /// <summary>Which function.</summary>
    public ActivationKind Kind { get; }

    /// <summary>α of LeakyRelu, the lower bound of Clip; 0 otherwise.</summary>
    public float A { get; }

    /// <summary>The upper bound of Clip; 0 otherwise.</summary>
    public float B { get; }

    /// <summary>x for x ≥ 0, αx otherwise.</summary>
    public static Activation LeakyRelu(float alpha) => new($"LeakyRelu({alpha})", ActivationKind.LeakyRelu, alpha, 0, x => x >= 0 ? x : alpha * x, (x, _) => x >= 0 ? 1 : alpha);

    /// <summary>min(max(x, lo), hi); the gradient is 1 strictly inside and 0 where clipped (as PyTorch's hardtanh).</summary>
    public static Activation Clip(float lo, float hi) => new($"Clip({lo}, {hi})", ActivationKind.Clip, lo, hi, x => Math.Min(Math.Max(x, lo), hi), (x, _) => x > lo && x < hi ? 1 : 0);

    /// <summary>1 / (1 + e^−x).</summary>
    public static Activation Sigmoid() => new("Sigmoid", ActivationKind.Sigmoid, 0, 0, x => 1f / (1f + MathF.Exp(-x)), (_, y) => y * (1 - y));

    /// <summary>tanh x.</summary>
    public static Activation Tanh() => new("Tanh", ActivationKind.Tanh, 0, 0, MathF.Tanh, (_, y) => 1 - (y * y));

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context) => Ops.Map(input, _f, _derivative);

    /// <inheritdoc />
    public override string Describe() => Name;
}
