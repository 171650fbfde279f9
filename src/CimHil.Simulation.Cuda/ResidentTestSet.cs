using CimHil.Simulation.MonteCarlo;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// A test set uploaded once and kept on the GPU for the whole run: images as channel planes [C][N][H·W] (so any chunk of
/// images is, per channel, one contiguous range) and labels [N].
/// </summary>
internal sealed class ResidentTestSet : IDisposable
{
    public ResidentTestSet(TestSet data)
    {
        var first = data.Batches[0];
        Channels = first.Dim(1);
        PlaneSize = first.Length / first.Dim(0) / Channels;
        Count = data.Count;
        var host = new float[(long)Channels * Count * PlaneSize];
        var labels = new int[Count];
        var start = 0;
        for (var b = 0; b < data.Batches.Count; b++)
        {
            var batch = data.Batches[b];
            var n = batch.Dim(0);
            for (var i = 0; i < n; i++)
            {
                for (var c = 0; c < Channels; c++)
                {
                    batch.Data.AsSpan(((i * Channels) + c) * PlaneSize, PlaneSize)
                        .CopyTo(host.AsSpan((int)((((long)c * Count) + start + i) * PlaneSize), PlaneSize));
                }
            }

            data.BatchLabels(b).CopyTo(labels.AsSpan(start, n));
            start += n;
        }

        Images = new DeviceBuffer(host.LongLength);
        Images.Upload<float>(host);
        Labels = new DeviceBuffer(Count);
        Labels.Upload<int>(labels);
        Source = data;
    }

    /// <summary>The host test set this copy was made from.</summary>
    public TestSet Source { get; }

    public int Channels { get; }

    public int PlaneSize { get; }

    public int Count { get; }

    public DeviceBuffer Images { get; }

    public DeviceBuffer Labels { get; }

    /// <summary>Distance between two channel planes of the whole set, in floats.</summary>
    public long ChannelStride => (long)Count * PlaneSize;

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
