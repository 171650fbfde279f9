namespace CimHil.Simulation.Cuda;

/// <summary>
/// The forward of G chips over one chunk of resident test images with top-1 counting on the device: <see cref="BatchedForward"/>
/// for InferencePlan chains (LeNet-5), <see cref="Graph.GraphForward"/> for everything else the GPU runs.
/// </summary>
internal interface IBatchedForward : IDisposable
{
    /// <summary>Chips per launch.</summary>
    int Groups { get; }

    /// <summary>Images per chunk.</summary>
    int Chunk { get; }

    /// <summary>Correct counts per chip since the last <see cref="ResetCounts"/>.</summary>
    DeviceBuffer Correct { get; }

    /// <summary>Uploads layer <paramref name="layer"/>'s weights of chip slot <paramref name="group"/> onward.</summary>
    void UploadWeights(int layer, ReadOnlySpan<float> weights, int group);

    /// <summary>Layer <paramref name="layer"/>'s weight slots, [chip][O·K]: where the device sampler writes each chip's weights.</summary>
    DeviceBuffer Weights(int layer);

    /// <summary>Zeroes the counts.</summary>
    void ResetCounts();

    /// <summary>Queues the forward of images [start, start + n) for the first <paramref name="groups"/> chips and their counting.</summary>
    void Run(ResidentTestSet data, int start, int n, int groups, PhaseProfile? profile = null);
}
