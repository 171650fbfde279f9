using System.Diagnostics;
using CimHil.Simulation.Cuda.Kernels;
using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Cuda.Graph;

/// <summary>
/// Runs a <see cref="GraphPlan"/> on the GPU for G chips at once over one chunk of resident test images (docs/gpu.md,
/// "Imported graphs"): a convolution is the general im2col (graph.cu) + one cuBLAS strided-batched GEMM over the chips per
/// channel group, then one epilogue kernel (bias, BatchNorm, ReLU as the CPU rounds them); the network input is unfolded once
/// and shared by all chips (stride 0), as in <see cref="BatchedForward"/>. Top-1 hits are counted on the device.
/// </summary>
internal sealed class GraphForward : ChipBatchForward
{
    private readonly GraphPlan _plan;
    private readonly Dictionary<int, DeviceBuffer> _biases = [];
    private readonly Dictionary<int, DeviceBuffer> _affines = [];
    private readonly Dictionary<int, DeviceBuffer> _tables = [];
    private readonly DeviceBuffer[] _buffers;

    public GraphForward(CudaDevice device, MappedNetwork mapped, GraphPlan plan, int groups, int chunk)
        : base(device, mapped.Layers.Select(l => (long)l.OutputCount * l.FanIn), groups, chunk, plan.Columns, plan.SharedColumns, mapped.Network.ClassCount)
    {
        _plan = plan;
        for (var i = 0; i < plan.Ops.Count; i++)
        {
            if (plan.Ops[i].Bias is { } b)
            {
                _biases[i] = Upload(b);
            }

            if (plan.Ops[i].Affine is { } a)
            {
                _affines[i] = Upload(a.Packed);
            }

            // A Map's broadcast constant or a Gather's source indices: one per-image table, shared by all chips and images.
            if (plan.Ops[i].Map?.Constant is { } constant)
            {
                _tables[i] = Upload(constant);
            }
            else if ((plan.Ops[i].Sources ?? plan.Ops[i].Destinations) is { } sources)
            {
                _tables[i] = Upload(sources);
            }
        }

        _buffers = plan.BufferSizes.Select(s => new DeviceBuffer((long)groups * chunk * s)).ToArray();
    }

    private protected override ulong Forward(ResidentTestSet data, ulong input, int n, int groups, PhaseProfile? profile)
    {
        var k = Device.Kernels;
        if (_plan.BroadcastInput)
        {
            k.Launch("broadcast_input", (long)data.Channels * n * data.PlaneSize, groups, input, data.ChannelStride, Pointer(0), data.Channels, n, data.PlaneSize);
        }

        for (var i = 0; i < _plan.Ops.Count; i++)
        {
            var op = _plan.Ops[i];
            var started = Stopwatch.GetTimestamp();
            if (profile is not null)
            {
                // Profiling: each op synchronised and timed alone (PhaseProfile).
                Device.Synchronize();
                started = Stopwatch.GetTimestamp();
            }

            var x = _plan.Values[op.Inputs[0]];
            var y = _plan.Values[op.Output];
            var yp = Pointer(op.Output);
            switch (op.Kind)
            {
                case GraphOpKind.Conv:
                    Conv(i, op, data, input, n, groups);
                    break;
                case GraphOpKind.Linear:
                    {
                        var (a, lda, strideA) = Source(op.Inputs[0], data, input, n);
                        Gemm(n, y.C, x.C, a, lda, strideA, WeightsOf(op.WeightIndex), x.C, (long)y.C * x.C, yp, n, (long)y.C * n, groups);
                        Epilogue(i, op, yp, yp, y.C, n, groups);
                        break;
                    }

                case GraphOpKind.Epilogue:
                    Epilogue(i, op, Pointer(op.Inputs[0]), yp, y.C, (long)n * y.Plane, groups);
                    break;
                case GraphOpKind.Add:
                    k.Launch("graph_add", y.PerImage * n, groups, Pointer(op.Inputs[0]), Pointer(op.Inputs[1]), yp, y.PerImage * n, op.Relu ? 1 : 0, (int)op.Arithmetic);
                    break;
                case GraphOpKind.Map:
                    {
                        var map = op.Map!;
                        k.Launch("graph_map", y.PerImage * n, groups, Pointer(op.Inputs[0]), yp, y.C, n, y.Plane, (int)map.Function,
                            BitConverter.SingleToInt32Bits(map.A), BitConverter.SingleToInt32Bits(map.B), _tables.TryGetValue(i, out var c) ? c.Pointer : 0UL);
                        break;
                    }

                case GraphOpKind.Gather:
                    k.Launch("graph_gather", y.PerImage * n, groups, Pointer(op.Inputs[0]), yp, x.C, x.Plane, y.C, y.Plane, n, _tables[i].Pointer);
                    break;
                case GraphOpKind.MaxPool:
                    k.Launch("pool_bias_relu", (long)y.C * n * y.Plane, groups, Pointer(op.Inputs[0]), yp, 0UL, x.C, n, x.H, x.W, op.KernelH, op.Geometry.StrideH, y.H, y.W, 0);
                    break;
                case GraphOpKind.AvgPool:
                    k.Launch("graph_avg_pool", (long)y.C * n * y.Plane, groups, Pointer(op.Inputs[0]), yp, x.C * n, x.H, x.W, op.KernelH, op.Geometry.StrideH, y.H, y.W,
                        BitConverter.SingleToInt32Bits(1f / (op.KernelH * op.KernelH)));
                    break;
                case GraphOpKind.GlobalAvgPool:
                    k.Launch("graph_global_avg_pool", (long)x.C * n, groups, Pointer(op.Inputs[0]), yp, (long)x.C * n, x.Plane);
                    break;
                case GraphOpKind.Flatten:
                    k.Launch("flatten", x.PerImage * n, groups, Pointer(op.Inputs[0]), yp, x.C, n, x.Plane);
                    break;
                case GraphOpKind.Scatter:
                    {
                        // One launch per input, each writing its own elements of the output (the table is a bijection).
                        long offset = 0;
                        foreach (var v in op.Inputs)
                        {
                            var a = _plan.Values[v];
                            k.Launch("graph_scatter", a.PerImage * n, groups, Pointer(v), yp, a.C, a.Plane, y.C, y.Plane, n, _tables[i].At(offset));
                            offset += a.PerImage;
                        }

                        break;
                    }

                case GraphOpKind.Concat:
                    {
                        long offset = 0;
                        foreach (var v in op.Inputs)
                        {
                            var count = _plan.Values[v].PerImage * n;
                            k.Launch("graph_copy", count, groups, Pointer(v), count, yp, y.PerImage * n, offset, count);
                            offset += count;
                        }

                        break;
                    }

                default:
                    throw new InvalidOperationException($"{op.Where}: no GPU kernel for {op.Kind}");
            }

            if (profile is not null)
            {
                Device.Synchronize();
                profile.Add($"gpu: op {i} {op.Kind} {x}→{y} ({op.Where})", started);
            }
        }

        return Pointer(_plan.Output);
    }

    private protected override void DisposeBuffers()
    {
        foreach (var b in _biases.Values.Concat(_affines.Values).Concat(_tables.Values).Concat(_buffers))
        {
            b.Dispose();
        }
    }

    private ulong Pointer(int value) => _buffers[_plan.BufferOf[value] is var b and >= 0 ? b : throw new InvalidOperationException($"value {value} has no buffer")].Pointer;

    // Where value v is read from as [C][ld] channel rows: its buffer (ld = n·H·W, chip stride C·n·H·W) or, for the network
    // input not copied per chip, the resident test set (ld = its channel stride, chip stride 0: every chip reads the same images).
    private (ulong Pointer, int Ld, long ChipStride) Source(int value, ResidentTestSet data, ulong input, int n)
    {
        var s = _plan.Values[value];
        return value == 0 && !_plan.BroadcastInput
            ? (input, checked((int)data.ChannelStride), 0L)
            : (Pointer(value), n * s.Plane, s.PerImage * n);
    }

    private void Conv(int index, GraphOp op, ResidentTestSet data, ulong input, int n, int groups)
    {
        var x = _plan.Values[op.Inputs[0]];
        var y = _plan.Values[op.Output];
        var g = op.Geometry;
        var m = n * y.Plane;
        var cg = x.C / g.Groups;
        var og = y.C / g.Groups;
        var kkg = cg * op.KernelH * op.KernelW;
        var (source, ld, chipStride) = Source(op.Inputs[0], data, input, n);
        var yp = Pointer(op.Output);
        var w = WeightsOf(op.WeightIndex);
        if (GraphPlan.Direct(op))
        {
            // One thread per (pooled) output position and OB output channels, raw sums (bias 0, no ReLU), max-pooled when
            // op.Pool = 2 (GraphPlan.NonDecreasing): the epilogue follows on the smaller tensor.
            var ob = KernelModule.ChannelsPerThread.First(c => y.C % c == 0);
            Device.Kernels.LaunchGrid3D($"conv_k{op.KernelH}_p{op.Pool}_o{ob}", (uint)(((long)m + 255) / 256), (uint)groups, (uint)(y.C / ob),
                source, chipStride, (long)ld, w, 0UL, yp, x.C, n, x.H, x.W, g.PadTop, y.C, y.H, y.W, 0);
            Epilogue(index, op, yp, yp, y.C, m, groups);
            return;
        }

        ulong a;
        int lda;
        long strideA, groupOffset;
        if (GraphPlan.Unfolds(op))
        {
            var shared = chipStride == 0;
            var kk = (long)x.C * op.KernelH * op.KernelW;
            a = shared ? SharedColumns!.Pointer : Columns!.Pointer;
            strideA = shared ? 0 : kk * m;
            Device.Kernels.Launch("graph_im2col", kk * m, shared ? 1 : groups, source, chipStride, (long)ld, a, strideA, x.C, n, x.H, x.W,
                op.KernelH, op.KernelW, g.StrideH, g.StrideW, g.PadTop, g.PadLeft, g.DilationH, g.DilationW, y.H, y.W);
            lda = m;
            groupOffset = (long)kkg * m;
        }
        else
        {
            // 1×1, stride 1, unpadded: the input's channel rows are already the columns.
            (a, lda, strideA) = (source, ld, chipStride);
            groupOffset = (long)cg * ld;
        }

        for (var gi = 0; gi < g.Groups; gi++)
        {
            // Row-major Y[og, m] = W[og, kkg]·cols[kkg, m] is column-major Yᵀ = colsᵀ·Wᵀ: cuBLAS sees (m × kkg)·(kkg × og).
            Gemm(m, og, kkg, a + (ulong)(gi * groupOffset * 4), lda, strideA, w + (ulong)((long)gi * og * kkg * 4), kkg, (long)y.C * kkg,
                yp + (ulong)((long)gi * og * m * 4), m, (long)y.C * m, groups);
        }

        Epilogue(index, op, yp, yp, y.C, m, groups);
    }

    private void Epilogue(int index, GraphOp op, ulong x, ulong y, int channels, long m, int groups)
    {
        var bias = _biases.TryGetValue(index, out var b) ? b.Pointer : 0UL;
        var affine = _affines.TryGetValue(index, out var a) ? a.Pointer : 0UL;
        if (bias != 0 || affine != 0 || op.Relu || x != y)
        {
            Device.Kernels.Launch("graph_epilogue", channels * m, groups, x, y, channels, m, bias, affine, op.Relu ? 1 : 0);
        }
    }
}
