using CimHil.Simulation.Cuda.Interop;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// What the two forwards of G chips over a chunk of resident test images share (<see cref="BatchedForward"/> for InferencePlan
/// chains, <see cref="Graph.GraphForward"/> for graphs): the chips' weight slots and their upload, the unfolded-column buffers
/// (per chip, and the network input's shared by all chips), the per-chip correct counts, the chunk check, the input pointer
/// and the top-1 counting after the network-specific forward.
/// </summary>
internal abstract unsafe class ChipBatchForward : IBatchedForward
{
    private readonly DeviceBuffer[] _weights;

    /// <param name="device">The GPU.</param>
    /// <param name="weightsPerChip">Floats of each weighted layer of one chip, in layer order.</param>
    /// <param name="groups">Chips per launch.</param>
    /// <param name="chunk">Images per chunk.</param>
    /// <param name="columnsPerImage">Floats per chip and image of the largest unfolded convolution input (0: none).</param>
    /// <param name="sharedColumnsPerImage">Floats per image of the network input's unfolding, shared by all chips (0: none).</param>
    /// <param name="classes">Classes of the network's output.</param>
    private protected ChipBatchForward(CudaDevice device, IEnumerable<long> weightsPerChip, int groups, int chunk, long columnsPerImage, long sharedColumnsPerImage, int classes)
    {
        Device = device;
        Groups = groups;
        Chunk = chunk;
        Classes = classes;
        _weights = weightsPerChip.Select(w => new DeviceBuffer(groups * w)).ToArray();
        Columns = columnsPerImage > 0 ? new DeviceBuffer((long)groups * chunk * columnsPerImage) : null;
        SharedColumns = sharedColumnsPerImage > 0 ? new DeviceBuffer(chunk * sharedColumnsPerImage) : null;
        Correct = new DeviceBuffer(groups);
    }

    /// <summary>Chips per launch.</summary>
    public int Groups { get; }

    /// <summary>Images per chunk.</summary>
    public int Chunk { get; }

    /// <summary>Correct counts per chip, accumulated by <see cref="Run"/> since the last <see cref="ResetCounts"/>.</summary>
    public DeviceBuffer Correct { get; }

    private protected CudaDevice Device { get; }

    private protected int Classes { get; }

    /// <summary>Unfolded convolution inputs, one slot per chip; null when no convolution unfolds after the input.</summary>
    private protected DeviceBuffer? Columns { get; }

    /// <summary>The network input's unfolding, read by every chip (stride 0); null when the input is not unfolded.</summary>
    private protected DeviceBuffer? SharedColumns { get; }

    /// <summary>Uploads layer <paramref name="layer"/>'s weights of chip slot <paramref name="group"/> onward (contiguous slots).</summary>
    public void UploadWeights(int layer, ReadOnlySpan<float> weights, int group) =>
        _weights[layer].Upload(weights, (long)group * (_weights[layer].Elements / Groups));

    /// <inheritdoc/>
    public DeviceBuffer Weights(int layer) => _weights[layer];

    /// <summary>Zeroes the counts.</summary>
    public void ResetCounts() => Correct.Fill(0, Groups);

    /// <summary>Queues the forward of images [start, start + n) for the first <paramref name="groups"/> chips and their counting.</summary>
    public void Run(ResidentTestSet data, int start, int n, int groups, PhaseProfile? profile = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (n > Chunk || groups > Groups)
        {
            throw new ArgumentOutOfRangeException(nameof(n), $"{n} images × {groups} chips exceed the chunk of {Chunk} × {Groups}");
        }

        var logits = Forward(data, data.Images.At((long)start * data.PlaneSize), n, groups, profile);
        Device.Kernels.LaunchGrid("count_correct", (uint)((n + 255) / 256), (uint)groups, logits, data.Labels.At(start), Classes, n, Correct.Pointer);
    }

    public void Dispose()
    {
        DisposeBuffers();
        foreach (var w in _weights)
        {
            w.Dispose();
        }

        Columns?.Dispose();
        SharedColumns?.Dispose();
        Correct.Dispose();
    }

    /// <summary>
    /// Queues the network's forward of <paramref name="n"/> images starting at <paramref name="input"/> (the resident test set's
    /// channel planes) for <paramref name="groups"/> chips; returns the device address of the logits, [classes][n] per chip.
    /// </summary>
    private protected abstract ulong Forward(ResidentTestSet data, ulong input, int n, int groups, PhaseProfile? profile);

    /// <summary>Frees the subclass's own device buffers.</summary>
    private protected abstract void DisposeBuffers();

    /// <summary>Layer <paramref name="layer"/>'s weights, chip slot 0 (slots follow contiguously).</summary>
    private protected ulong WeightsOf(int layer) => _weights[layer].Pointer;

    private protected static DeviceBuffer Upload<T>(T[] data)
        where T : unmanaged
    {
        var buffer = new DeviceBuffer(data.Length);
        buffer.Upload<T>(data);
        return buffer;
    }

    /// <summary>Column-major C = A·B for each of <paramref name="batch"/> chips (cublasSgemmStridedBatched, the device's math mode).</summary>
    private protected void Gemm(int m, int n, int k, ulong a, int lda, long strideA, ulong b, int ldb, long strideB, ulong c, int ldc, long strideC, int batch)
    {
        float alpha = 1, beta = 0;
        Cublas.Check(
            Cublas.cublasSgemmStridedBatched(Device.CublasHandle, Cublas.OpN, Cublas.OpN, m, n, k, &alpha, a, lda, strideA, b, ldb, strideB, &beta, c, ldc, strideC, batch),
            $"cublasSgemmStridedBatched({m}×{n}×{k}, {batch} chips)");
    }
}
