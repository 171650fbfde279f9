namespace CimHil.Simulation.Cuda.Graph;

/// <summary>The function of a <see cref="GraphOpKind.Map"/> op; the numbers are graph.cu's graph_map codes.</summary>
public enum MapFunction
{
    /// <summary>x ≥ 0 ? x : A·x (ONNX LeakyRelu).</summary>
    LeakyRelu = 0,

    /// <summary>min(max(x, A), B) with .NET's Math.Max/Min semantics (ONNX Clip, ReLU6).</summary>
    Clip = 1,

    /// <summary>1 / (1 + e^−x) (ONNX Sigmoid).</summary>
    Sigmoid = 2,

    /// <summary>tanh x (ONNX Tanh).</summary>
    Tanh = 3,

    /// <summary>x + c.</summary>
    Add = 4,

    /// <summary>x − c.</summary>
    Subtract = 5,

    /// <summary>c − x.</summary>
    SubtractFrom = 6,

    /// <summary>x · c.</summary>
    Multiply = 7,

    /// <summary>x / c.</summary>
    Divide = 8,

    /// <summary>c / x.</summary>
    DivideInto = 9,
}
