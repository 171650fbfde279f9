namespace CimHil.Simulation.Onnx;

/// <summary>
/// A node's attributes read with the operator's default when the exporter left one out (defaults from the operator's
/// page in the ONNX operator reference, passed in by each lowering).
/// </summary>
internal static class OnnxNodeAttributes
{
    public static long IntAttr(this OnnxNode node, string name, long fallback) => node.Attributes.TryGetValue(name, out var a) ? a.Int : fallback;

    public static float FloatAttr(this OnnxNode node, string name, float fallback) => node.Attributes.TryGetValue(name, out var a) ? a.Float : fallback;

    public static long[] IntsAttr(this OnnxNode node, string name, long[] fallback) => node.Attributes.TryGetValue(name, out var a) ? a.Ints : fallback;

    public static string StringAttr(this OnnxNode node, string name, string fallback) =>
        node.Attributes.TryGetValue(name, out var a) ? a.String ?? fallback : fallback;
}
