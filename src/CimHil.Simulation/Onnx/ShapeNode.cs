using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Onnx;

/// <summary>Reshape to a constant shape (0 copies the input dimension, −1 is inferred, as ONNX Reshape) or Transpose.</summary>
public sealed class ShapeNode : Module
{
    private readonly long[]? _shape;
    private readonly int[]? _perm;

    private ShapeNode(long[]? shape, int[]? perm)
    {
        _shape = shape;
        _perm = perm;
    }

    /// <summary>ONNX Reshape with a constant target shape.</summary>
    public static ShapeNode Reshape(long[] shape) => new(shape, null);

    /// <summary>ONNX Transpose.</summary>
    public static ShapeNode Transpose(int[] perm) => new(null, perm);

    /// <inheritdoc />
    public override Tensor Forward(Tensor input, ForwardContext context)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_perm is not null)
        {
            return Ops.Transpose(input, _perm);
        }

        var s = new int[_shape!.Length];
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = _shape[i] == 0 ? input.Dim(i) : (int)_shape[i];
        }

        return Ops.Reshape(input, s);
    }

    /// <inheritdoc />
    public override string Describe() => _perm is not null ? $"Transpose([{string.Join(", ", _perm)}])" : $"Reshape([{string.Join(", ", _shape!)}])";
}
