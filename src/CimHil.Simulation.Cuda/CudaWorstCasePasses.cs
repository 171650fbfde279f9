using System.Numerics.Tensors;
using CimHil.Simulation.Cuda.Interop;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using CimHil.Simulation.WorstCase;
using Step = CimHil.Simulation.MonteCarlo.InferencePlan.Step;
using StepKind = CimHil.Simulation.MonteCarlo.InferencePlan.StepKind;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// The worst-case search's passes on the GPU (docs/gpu.md, "The worst-case search on the GPU"): per pass the host decodes W
/// from the conductances with the mapping's own code and uploads it (one float per weight); the GPU runs the forward over the
/// resident test set keeping every step's activations (im2col columns, ReLU outputs, max-pool arg-maxes), the logits come
/// back ([classes][n], 10 floats an image) and are scored on the host by <see cref="WorstCaseLoss"/> itself, so margins,
/// correct count, objective and the seed (+1 true class, −1 runner-up) are the CPU's code; the seed goes up and the backward
/// (cuBLAS products for ∂L/∂W and ∂L/∂X, col2im, pool and ReLU masks) sums ∂L/∂W on the device, which comes back once per
/// pass. The search loop, the Δ and Adam stay on the host (<see cref="WorstCaseSearch"/>).
/// </summary>
public sealed unsafe class CudaWorstCasePasses : IWorstCasePasses, IDisposable
{
    /// <summary>Images per chunk of a pass (the activations of one chunk are kept for its backward).</summary>
    public const int DefaultChunkImages = 10000;

    private readonly CudaDevice _device;
    private readonly MappedNetwork _mapped;
    private readonly IReadOnlyList<Step> _steps;
    private readonly ResidentTestSet _data;
    private readonly int _chunk;
    private readonly int _classes;
    private readonly int[] _weightOfMapped;
    private readonly DeviceBuffer[] _weights;
    private readonly DeviceBuffer?[] _biases;
    private readonly DeviceBuffer[] _gradients;
    private readonly DeviceBuffer?[] _outputs;
    private readonly DeviceBuffer?[] _columns;
    private readonly DeviceBuffer?[] _argMax;
    private readonly DeviceBuffer?[] _flat;
    private readonly ulong[] _in;
    private readonly ulong[] _out;
    private readonly DeviceBuffer _d0;
    private readonly DeviceBuffer _d1;
    private readonly DeviceBuffer? _dColumns;
    private readonly float[] _hostLogits;
    private readonly float[] _hostSeed;
    private readonly int[] _labels;

    private CudaWorstCasePasses(CudaDevice device, MappedNetwork mapped, TestSet data, InferencePlan plan, int chunk)
    {
        _device = device;
        _mapped = mapped;
        _steps = plan.Steps;
        _classes = plan.Network.ClassCount;
        device.MakeCurrent();
        _data = new ResidentTestSet(data);
        _chunk = Math.Min(chunk, data.Count);
        var layers = plan.Network.WeightedLayers;
        _weightOfMapped = mapped.Layers.Select(m => IndexOf(layers, m.Layer)).ToArray();
        _weights = layers.Select(l => new DeviceBuffer(l.Weight.Length)).ToArray();
        _gradients = layers.Select(l => new DeviceBuffer(l.Weight.Length)).ToArray();
        _biases = layers.Select(l => l.Bias is { } b ? Upload(b.Data) : null).ToArray();
        var n = _chunk;
        _outputs = new DeviceBuffer?[_steps.Count];
        _columns = new DeviceBuffer?[_steps.Count];
        _argMax = new DeviceBuffer?[_steps.Count];
        _flat = new DeviceBuffer?[_steps.Count];
        _in = new ulong[_steps.Count];
        _out = new ulong[_steps.Count];
        long largest = 0, columns = 0;
        for (var i = 0; i < _steps.Count; i++)
        {
            var s = _steps[i];
            var inSize = (long)s.InC * s.InH * s.InW * n;
            var outSize = (long)s.OutC * s.OutH * s.OutW * n;
            largest = Math.Max(largest, Math.Max(inSize, outSize));
            if (s.Kind != StepKind.Relu)
            {
                _outputs[i] = new DeviceBuffer(outSize);
            }

            switch (s.Kind)
            {
                case StepKind.Conv:
                    {
                        var conv = (Conv2d)s.Layer!;
                        var size = (long)s.InC * conv.Kernel * conv.Kernel * n * s.OutH * s.OutW;
                        _columns[i] = new DeviceBuffer(size);
                        columns = Math.Max(columns, size);
                        break;
                    }

                case StepKind.MaxPool:
                    _argMax[i] = new DeviceBuffer(outSize);
                    break;
                case StepKind.Linear when s.FlattenedFrom is not null:
                    _flat[i] = new DeviceBuffer(inSize);
                    break;
            }
        }

        _d0 = new DeviceBuffer(largest);
        _d1 = new DeviceBuffer(largest);
        _dColumns = columns > 0 ? new DeviceBuffer(columns) : null;
        _hostLogits = new float[_classes * n];
        _hostSeed = new float[_classes * n];
        Logits = new float[(long)data.Count * _classes];
        _labels = Enumerable.Range(0, data.Batches.Count).SelectMany(b => data.BatchLabels(b).ToArray()).ToArray();
        Data = data;
    }

    /// <summary>The test set the passes run over (resident on the GPU).</summary>
    public TestSet Data { get; }

    /// <summary>Logits [Count, classes] of the last pass (row-major, as the CPU's forward returns them).</summary>
    internal float[] Logits { get; }

    /// <summary>Images per chunk of a pass.</summary>
    internal int ChunkImages => _chunk;

    /// <summary>Classes of the network (rows of the logits).</summary>
    internal int Classes => _classes;

    /// <summary>The test set's labels in order.</summary>
    internal ReadOnlySpan<int> Labels => _labels;

    /// <summary>Where <see cref="Backward"/> reads its seed ([classes][n] of the chunk).</summary>
    internal DeviceBuffer Seed => _d0;

    /// <summary>The device the passes run on.</summary>
    internal CudaDevice Device => _device;

    /// <summary>The weight buffer of mapped layer <paramref name="mappedLayer"/> ([OutputCount·FanIn] floats).</summary>
    internal DeviceBuffer Weights(int mappedLayer) => _weights[_weightOfMapped[mappedLayer]];

    /// <summary>The ∂L/∂W buffer of mapped layer <paramref name="mappedLayer"/>, summed over a pass's chunks.</summary>
    internal DeviceBuffer WeightGradient(int mappedLayer) => _gradients[_weightOfMapped[mappedLayer]];

    /// <summary>
    /// Why <paramref name="mapped"/>'s search cannot run on the GPU (converters, a layer the plan does not compile, a network
    /// that does not start with a convolution, a max-pool of stride other than its size), or null when it can.
    /// </summary>
    public static string? Unsupported(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        if (mapped.Options.NeedsTiledForward)
        {
            // WorstCaseSearch ignores other passes with converters: its gradient is the straight-through estimate of the tiled
            // forward, on the CPU (the Monte-Carlo chips with converters do run on the GPU: Converters/TiledForward).
            return "DAC/ADC converters: the search's gradient is the CPU's straight-through estimate of the tiled crossbar forward";
        }

        var why = CudaMonteCarlo.Unsupported(mapped);
        if (why is not null)
        {
            return why;
        }

        var plan = InferencePlan.TryCompile(mapped.Network)!;
        if (plan.Steps[0].Kind != StepKind.Conv)
        {
            return $"{mapped.Network.Architecture} does not start with a convolution; the worst-case search's GPU pass needs one";
        }

        // The logits are read from the last step's own buffer.
        return plan.Steps[^1].Kind != StepKind.Linear
            ? $"{mapped.Network.Architecture} does not end with a linear layer; the worst-case search's GPU pass needs one"
            : null;
    }

    /// <summary>The GPU passes of <paramref name="forward"/>'s network over its test set; throws <see cref="CudaException"/> naming why it cannot run.</summary>
    public static CudaWorstCasePasses Create(CudaDevice device, MappedForward forward, int chunkImages = DefaultChunkImages)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(forward);
        var why = Unsupported(forward.Mapped);
        if (why is not null)
        {
            throw new CudaException(why);
        }

        return new CudaWorstCasePasses(device, forward.Mapped, forward.Data, InferencePlan.TryCompile(forward.Mapped.Network)!, chunkImages);
    }

    /// <inheritdoc/>
    public PassOutcome Evaluate(IReadOnlyList<LayerConductances> conductances, double kappa, double upper) => Pass(conductances, kappa, upper, false);

    /// <inheritdoc/>
    public PassOutcome Gradient(IReadOnlyList<LayerConductances> conductances, double kappa, double upper) => Pass(conductances, kappa, upper, true);

    public void Dispose()
    {
        _device.MakeCurrent();
        foreach (var b in _weights.Concat(_gradients).Concat(_biases).Concat(_outputs).Concat(_columns).Concat(_argMax).Concat(_flat))
        {
            b?.Dispose();
        }

        _d0.Dispose();
        _d1.Dispose();
        _dColumns?.Dispose();
        _data.Dispose();
    }

    private static int IndexOf(IReadOnlyList<IWeightedLayer> layers, IWeightedLayer layer)
    {
        for (var i = 0; i < layers.Count; i++)
        {
            if (ReferenceEquals(layers[i], layer))
            {
                return i;
            }
        }

        throw new InvalidOperationException($"mapped layer {layer.Path} is not a weighted layer of the network");
    }

    private static DeviceBuffer Upload(float[] data)
    {
        var buffer = new DeviceBuffer(data.Length);
        buffer.Upload<float>(data);
        return buffer;
    }

    private PassOutcome Pass(IReadOnlyList<LayerConductances> conductances, double kappa, double upper, bool withGradient)
    {
        ArgumentNullException.ThrowIfNull(conductances);
        if (conductances.Count != _mapped.Layers.Count)
        {
            throw new ArgumentException($"{conductances.Count} conductance sets for {_mapped.Layers.Count} mapped layers.", nameof(conductances));
        }

        _device.MakeCurrent();
        for (var l = 0; l < _mapped.Layers.Count; l++)
        {
            // The mapping's own decode (the CPU's floats), so the GPU multiplies by exactly the weights the CPU would.
            _weights[_weightOfMapped[l]].Upload<float>(_mapped.Layers[l].Decode(conductances[l]));
            if (withGradient)
            {
                _gradients[_weightOfMapped[l]].Fill(0, _gradients[_weightOfMapped[l]].Elements);
            }
        }

        var count = Data.Count;
        var margins = new float[count];
        var correct = 0;
        var loss = 0.0;
        for (var start = 0; start < count; start += _chunk)
        {
            var n = Math.Min(_chunk, count - start);
            var logits = Forward(start, n);

            // [classes][n] → [n][classes], the CPU's layout, scored by the CPU's code.
            _device.Synchronize();
            logits.Download<float>(_hostLogits.AsSpan(0, _classes * n));
            var rows = Logits.AsSpan(start * _classes, n * _classes);
            for (var j = 0; j < _classes; j++)
            {
                for (var i = 0; i < n; i++)
                {
                    rows[(i * _classes) + j] = _hostLogits[(j * n) + i];
                }
            }

            var labels = _labels.AsSpan(start, n);
            for (var i = 0; i < n; i++)
            {
                if (TensorPrimitives.IndexOfMax(rows.Slice(i * _classes, _classes)) == labels[i])
                {
                    correct++;
                }
            }

            WorstCaseLoss.Margins(rows, labels, _classes, margins.AsSpan(start, n));
            var seed = withGradient ? new float[n * _classes] : [];
            loss += WorstCaseLoss.Evaluate(rows, labels, _classes, kappa, upper, seed);
            if (withGradient)
            {
                for (var j = 0; j < _classes; j++)
                {
                    for (var i = 0; i < n; i++)
                    {
                        _hostSeed[(j * n) + i] = seed[(i * _classes) + j];
                    }
                }

                _d0.Upload<float>(_hostSeed.AsSpan(0, _classes * n));
                Backward(n);
            }
        }

        float[][]? gradients = null;
        if (withGradient)
        {
            gradients = new float[_mapped.Layers.Count][];
            for (var l = 0; l < gradients.Length; l++)
            {
                gradients[l] = new float[_mapped.Layers[l].OutputCount * _mapped.Layers[l].FanIn];
                _gradients[_weightOfMapped[l]].Download<float>(gradients[l]);
            }
        }

        return new PassOutcome(correct, count, loss, margins, gradients);
    }

    // Forward of images [start, start + n), keeping each step's input and output pointers for the backward; returns the logits.
    internal DeviceBuffer Forward(int start, int n)
    {
        var k = _device.Kernels;
        var cur = 0UL;
        for (var i = 0; i < _steps.Count; i++)
        {
            var s = _steps[i];
            var y = _outputs[i]?.Pointer ?? cur;
            _in[i] = cur;
            switch (s.Kind)
            {
                case StepKind.Conv:
                    {
                        var conv = (Conv2d)s.Layer!;
                        var kk = s.InC * conv.Kernel * conv.Kernel;
                        var m = n * s.OutH * s.OutW;
                        var (x, channelStride) = i == 0 ? (_data.Images.At((long)start * _data.PlaneSize), _data.ChannelStride) : (cur, (long)n * s.InH * s.InW);
                        var cols = _columns[i]!.Pointer;
                        k.Launch("im2col", (long)kk * m, 1, x, 0L, channelStride, cols, s.InC, n, s.InH, s.InW, conv.Kernel, conv.Stride, conv.Padding, s.OutH, s.OutW);

                        // Row-major Y[O, m] = W[O, kk]·cols[kk, m] is column-major Yᵀ = colsᵀ·Wᵀ.
                        Gemm(Cublas.OpN, Cublas.OpN, m, s.OutC, kk, cols, m, _weights[s.WeightIndex].Pointer, kk, 0, y, m);
                        BiasRelu(y, _biases[s.WeightIndex], s.OutC, m, s.Relu);
                        break;
                    }

                case StepKind.MaxPool:
                    k.Launch("pool_argmax", (long)s.OutC * n * s.OutH * s.OutW, 1, cur, y, _argMax[i]!.Pointer, s.InC, n, s.InH, s.InW, s.PoolKernel, s.PoolStride, s.OutH, s.OutW);
                    break;
                case StepKind.Relu:
                    BiasRelu(cur, null, 1, s.InC * s.InH * s.InW * n, true);
                    break;
                case StepKind.Linear:
                    {
                        var x = cur;
                        if (s.FlattenedFrom is { } f)
                        {
                            x = _flat[i]!.Pointer;
                            k.Launch("flatten", (long)f.C * n * f.H * f.W, 1, cur, x, f.C, n, f.H * f.W);
                            _in[i] = x;
                        }

                        // Row-major Yᵀ[out, n] = W[out, in]·Xᵀ[in, n] is column-major Y = X·Wᵀ.
                        Gemm(Cublas.OpN, Cublas.OpN, n, s.OutC, s.InC, x, n, _weights[s.WeightIndex].Pointer, s.InC, 0, y, n);
                        BiasRelu(y, _biases[s.WeightIndex], s.OutC, n, s.Relu);
                        break;
                    }
            }

            _out[i] = y;
            cur = y;
        }

        return _outputs[^1]!;
    }

    // Backward of the chunk Forward just ran, seeded with the seed in Seed ([classes][n]): adds ∂L/∂W into the gradient buffers.
    internal void Backward(int n)
    {
        var k = _device.Kernels;
        var d = _d0;
        var other = _d1;
        for (var i = _steps.Count - 1; i >= 0; i--)
        {
            var s = _steps[i];
            var outSize = (long)s.OutC * s.OutH * s.OutW * n;
            switch (s.Kind)
            {
                case StepKind.Relu:
                    k.Launch("relu_backward", outSize, 1, d.Pointer, _out[i], outSize);
                    break;
                case StepKind.MaxPool:
                    {
                        var inSize = (long)s.InC * s.InH * s.InW * n;
                        other.Fill(0, inSize);
                        k.Launch("pool_backward", outSize, 1, d.Pointer, _argMax[i]!.Pointer, other.Pointer, outSize);
                        (d, other) = (other, d);
                        break;
                    }

                case StepKind.Linear:
                    {
                        if (s.Relu)
                        {
                            k.Launch("relu_backward", outSize, 1, d.Pointer, _out[i], outSize);
                        }

                        var w = _weights[s.WeightIndex].Pointer;

                        // dW[out, in] += dY[out, n]·X[in, n]ᵀ: column-major dWᵀ (in × out) = X (in × n, from row-major X by T)·dYᵀ.
                        Gemm(Cublas.OpT, Cublas.OpN, s.InC, s.OutC, n, _in[i], n, d.Pointer, n, 1, _gradients[s.WeightIndex].Pointer, s.InC);
                        if (i > 0)
                        {
                            // dX[in, n] = W[out, in]ᵀ·dY[out, n]: column-major dXᵀ (n × in) = dYᵀ (n × out)·W (out × in, by T).
                            Gemm(Cublas.OpN, Cublas.OpT, n, s.InC, s.OutC, d.Pointer, n, w, s.InC, 0, other.Pointer, n);
                            (d, other) = (other, d);
                            if (s.FlattenedFrom is { } f)
                            {
                                k.Launch("unflatten", (long)f.C * n * f.H * f.W, 1, d.Pointer, other.Pointer, f.C, n, f.H * f.W);
                                (d, other) = (other, d);
                            }
                        }

                        break;
                    }

                case StepKind.Conv:
                    {
                        if (s.Relu)
                        {
                            k.Launch("relu_backward", outSize, 1, d.Pointer, _out[i], outSize);
                        }

                        var conv = (Conv2d)s.Layer!;
                        var kk = s.InC * conv.Kernel * conv.Kernel;
                        var m = n * s.OutH * s.OutW;
                        var w = _weights[s.WeightIndex].Pointer;

                        // dW[O, kk] += dY[O, m]·cols[kk, m]ᵀ: column-major dWᵀ (kk × O) = cols (by T)·dYᵀ.
                        Gemm(Cublas.OpT, Cublas.OpN, kk, s.OutC, m, _columns[i]!.Pointer, m, d.Pointer, m, 1, _gradients[s.WeightIndex].Pointer, kk);
                        if (i > 0)
                        {
                            // dcols[kk, m] = W[O, kk]ᵀ·dY[O, m]: column-major dcolsᵀ (m × kk) = dYᵀ (m × O)·W (O × kk, by T); then col2im.
                            Gemm(Cublas.OpN, Cublas.OpT, m, kk, s.OutC, d.Pointer, m, w, kk, 0, _dColumns!.Pointer, m);
                            k.Launch("col2im", (long)s.InC * n * s.InH * s.InW, 1, _dColumns.Pointer, other.Pointer, s.InC, n, s.InH, s.InW, conv.Kernel, conv.Stride, conv.Padding, s.OutH, s.OutW);
                            (d, other) = (other, d);
                        }

                        break;
                    }
            }
        }
    }

    private void BiasRelu(ulong y, DeviceBuffer? bias, int channels, int m, bool relu)
    {
        if (bias is not null || relu)
        {
            _device.Kernels.Launch("bias_relu", (long)channels * m, 1, y, bias?.Pointer ?? 0UL, channels, m, relu ? 1 : 0);
        }
    }

    private void Gemm(int transA, int transB, int m, int n, int k, ulong a, int lda, ulong b, int ldb, float beta, ulong c, int ldc)
    {
        float alpha = 1;
        Cublas.Check(Cublas.cublasSgemm(_device.CublasHandle, transA, transB, m, n, k, &alpha, a, lda, b, ldb, &beta, c, ldc), $"cublasSgemm({m}×{n}×{k})");
    }
}
