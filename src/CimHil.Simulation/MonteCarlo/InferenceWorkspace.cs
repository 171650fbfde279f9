namespace CimHil.Simulation.MonteCarlo;

/// <summary>Per-thread buffers of an <see cref="InferencePlan"/>: two activation buffers, the unfolded input and the weights.</summary>
public sealed class InferenceWorkspace
{
    internal InferenceWorkspace(InferencePlan plan)
    {
        A = new float[plan.MaxActivation + Slack];
        B = new float[plan.MaxActivation + Slack];
        Columns = new float[Math.Max(1, plan.MaxColumns)];
        Padded = new float[Math.Max(1, plan.MaxPadded) + Slack];
        Packed = new float[plan.Network.WeightedLayers.Max(l => ((l.OutputCount + 23) / 24) * 24 * l.FanIn)]; // channel blocks of the direct convolutions (6 or 16 rows)
        Weights = plan.Network.WeightedLayers.Select(l => l.Weight.Data).ToArray();
    }

    /// <summary>Floats behind each input buffer that the direct convolution may read (and discard) past the last row.</summary>
    internal const int Slack = 64;

    internal float[] A { get; }

    internal float[] B { get; }

    internal float[] Columns { get; }

    internal float[] Packed { get; }

    internal float[] Padded { get; }

    internal float[][] Weights { get; }
}
