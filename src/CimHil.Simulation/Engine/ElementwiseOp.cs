namespace CimHil.Simulation.Engine;

/// <summary>A binary arithmetic operation with a constant (ONNX Add, Sub, Mul, Div with one initializer operand).</summary>
public enum ElementwiseOp
{
    /// <summary>a + b.</summary>
    Add,

    /// <summary>a − b.</summary>
    Subtract,

    /// <summary>a · b.</summary>
    Multiply,

    /// <summary>a / b.</summary>
    Divide,
}
