namespace CimHil.Simulation.Cuda.Graph;

/// <summary>The shape of one image's value in a <see cref="GraphPlan"/>: C×H×W (a flat value is F×1×1).</summary>
/// <param name="C">Channels (features of a flat value).</param>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
public readonly record struct GraphValue(int C, int H, int W)
{
    /// <summary>Floats per image.</summary>
    public long PerImage => (long)C * H * W;

    /// <summary>Pixels per channel plane.</summary>
    public int Plane => H * W;

    /// <inheritdoc/>
    public override string ToString() => $"[{C}, {H}, {W}]";
}
