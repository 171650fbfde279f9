namespace CimHil.Simulation.Onnx;

/// <summary>Which elementwise function an <see cref="Activation"/> computes (read by backends that run it elsewhere, e.g. the GPU).</summary>
public enum ActivationKind
{
    /// <summary>x for x ≥ 0, α·x otherwise.</summary>
    LeakyRelu,

    /// <summary>min(max(x, lo), hi).</summary>
    Clip,

    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,

    /// <summary>tanh x.</summary>
    Tanh,
}
