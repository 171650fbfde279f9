using System.Runtime.InteropServices;
using CimHil.Simulation.Cuda.Graph;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;
using CimHil.Tests.Shared;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// The graph forward's elementwise and data-movement kernels (graph.cu: graph_map, graph_add, graph_gather) built for the host
/// by g++ (native/cuda-host/graph_host.cpp, one thread per grid, the _rn intrinsics as plain IEEE operations) and run in the
/// GPU's [C][n][P] layout over two chips, against the CPU engine's modules: bit for bit where the GPU's arithmetic is the
/// CPU's (docs/gpu.md, "Imported graphs"); for Sigmoid and Tanh the kernels' double-precision formula is measured against
/// glibc's float functions (the "Transcendentals" paragraph).
/// </summary>
public sealed unsafe class GraphKernelHostTests : IDisposable
{
    private const int Chips = 2, C = 3, N = 4, P = 5;

    private static readonly Lazy<string> Library = new(() => NativeStandIn.Build("graph_host.cpp", "libgraph_host.so", "g++"));

    private readonly IntPtr _handle = NativeLibrary.Load(Library.Value);

    public void Dispose() => NativeLibrary.Free(_handle);

    public static TheoryData<string> ExactMaps() => ["leaky", "clip", "add", "sub", "subfrom", "mul", "div", "divinto"];

    [Theory]
    [MemberData(nameof(ExactMaps))]
    public void GraphMap_ExactFunctions_EqualTheCpuModuleBitForBit(string name)
    {
        float[] perChannel = [0.75f, -1.5f, 3f];
        Module module = name switch
        {
            "leaky" => Activation.LeakyRelu(0.1f),
            "clip" => Activation.Clip(0f, 6f),
            "add" => new ConstantArithmetic(ElementwiseOp.Add, perChannel, [C, 1, 1], false),
            "sub" => new ConstantArithmetic(ElementwiseOp.Subtract, perChannel, [C, 1, 1], false),
            "subfrom" => new ConstantArithmetic(ElementwiseOp.Subtract, [0.3f], [], true),
            "mul" => new ConstantArithmetic(ElementwiseOp.Multiply, perChannel, [C, 1, 1], false),
            "div" => new ConstantArithmetic(ElementwiseOp.Divide, [0.353f], [1], false),
            _ => new ConstantArithmetic(ElementwiseOp.Divide, perChannel, [C, 1, 1], true),
        };
        var map = module switch
        {
            Activation a => ElementwiseMap.Of(a),
            ConstantArithmetic k => ElementwiseMap.Of(k, [C, 1, P]),
            _ => throw new InvalidOperationException(name),
        };
        var x = Inputs(31);

        var actual = Map(map, x);

        AssertBitwise(PerChip(x, t => module.Forward(t, ForwardContext.Inference)), actual);
    }

    [Fact]
    public void GraphMap_Clip_KeepsDotNetsSignedZeroAndNaN()
    {
        var map = ElementwiseMap.Of(Activation.Clip(0f, 6f));
        var x = new float[Chips * C * N * P];
        x[0] = -0f;
        x[1] = float.NaN;
        x[2] = 7f;
        x[3] = -3f;

        var y = Map(map, x);

        Assert.Equal(BitConverter.SingleToInt32Bits(Math.Min(Math.Max(-0f, 0f), 6f)), BitConverter.SingleToInt32Bits(y[0]));
        Assert.True(float.IsNaN(y[1]));
        Assert.Equal([6f, 0f], y[2..4]);

        // A bound of −0 against +0: .NET's Math.Max(+0, −0) is +0.
        var z = Map(ElementwiseMap.Of(Activation.Clip(-0f, 6f)), new float[Chips * C * N * P]);
        Assert.Equal(BitConverter.SingleToInt32Bits(Math.Min(Math.Max(0f, -0f), 6f)), BitConverter.SingleToInt32Bits(z[0]));
    }

    [Theory]
    [InlineData(ElementwiseOp.Add, false)]
    [InlineData(ElementwiseOp.Subtract, true)]
    [InlineData(ElementwiseOp.Multiply, false)]
    public void GraphAdd_TwoTensors_EqualsTensorSumBitForBit(ElementwiseOp op, bool relu)
    {
        float[] a = Inputs(41), b = Inputs(42);
        var y = new float[a.Length];
        var run = (delegate* unmanaged<int, float*, float*, float*, long, int, int, void>)NativeLibrary.GetExport(_handle, "run_graph_add");
        fixed (float* pa = a, pb = b, py = y)
        {
            run(Chips, pa, pb, py, C * N * P, relu ? 1 : 0, (int)op);
        }

        var expected = new TensorSum(op).Forward([Tensor.FromArray(a, [a.Length]), Tensor.FromArray(b, [b.Length])], ForwardContext.Inference).Data;
        AssertBitwise(relu ? expected.Select(v => Math.Max(v, 0f)).ToArray() : expected, y);
    }

    [Fact]
    public void GraphGather_TransposeAndPadTables_MoveTheElementsAsTheCpuModules()
    {
        // [C, 1, P] → NHWC [1, P, C] (Transpose), then zero padding of that: the tables the plan reads off the modules.
        var transpose = ShapeNode.Transpose([0, 2, 3, 1]);
        var x = Inputs(51);
        var (_, sources) = GatherTable.Of(transpose, [C, 1, P]);
        var y = new float[x.Length];
        var run = (delegate* unmanaged<int, float*, float*, int, int, int, int, int, int*, void>)NativeLibrary.GetExport(_handle, "run_graph_gather");
        fixed (float* px = x, py = y)
        fixed (int* ps = sources)
        {
            // Output value [1][n][P·C]: its "channel" is the first dimension of [1, P, C].
            run(Chips, px, py, C, P, 1, P * C, N, ps);
        }

        var expected = PerChip(x, t => transpose.Forward(t, ForwardContext.Inference), outChannels: 1);
        AssertBitwise(expected, y);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(2)]
    [InlineData(-1)]
    public void GraphScatter_ConcatOnANonChannelAxis_PutsEveryElementWhereOpsConcatDoes(int axis)
    {
        // Two [C, 1, P] images per chip concatenated on the width (3, −1) or the height (2): one scatter launch per input
        // with the CPU-probed destination table, into one output.
        float[] a = Inputs(71), b = Inputs(72);
        var (dims, destinations) = GatherTable.Scatter(new ConcatNode(axis), [[C, 1, P], [C, 1, P]]);
        var plane = dims[1] * dims[2];
        var y = new float[Chips * C * N * plane];
        var run = (delegate* unmanaged<int, float*, float*, int, int, int, int, int, int*, void>)NativeLibrary.GetExport(_handle, "run_graph_scatter");
        fixed (float* pa = a, pb = b, py = y)
        fixed (int* pd = destinations)
        {
            run(Chips, pa, py, C, P, C, plane, N, pd);
            run(Chips, pb, py, C, P, C, plane, N, pd + (C * P));
        }

        Assert.Equal(C, dims[0]);
        AssertBitwise(PerChip([a, b], t => Ops.Concat(t, axis), C), y);
    }

    [Fact]
    public void GraphMap_SigmoidAndTanh_DifferFromGlibcInFewInputs_ByAtMostTwoUlps()
    {
        // The kernels' formula (exp, tanh in double, rounded once) against MathF's glibc expf/tanhf, 20 000 inputs in [−16, 16].
        var rng = new Random(61);
        var x = Enumerable.Range(0, Chips * C * N * P * 100).Select(_ => (float)((rng.NextDouble() * 32) - 16)).ToArray();
        foreach (var (activation, limit) in new[] { (Activation.Sigmoid(), 0.01), (Activation.Tanh(), 0.1) })
        {
            var y = new float[x.Length];
            var map = ElementwiseMap.Of(activation);
            var run = (delegate* unmanaged<int, float*, float*, int, int, int, int, int, int, float*, void>)NativeLibrary.GetExport(_handle, "run_graph_map");
            fixed (float* px = x, py = y)
            {
                run(1, px, py, 1, 1, x.Length, (int)map.Function, 0, 0, null);
            }

            var expected = activation.Forward(Tensor.FromArray(x, [x.Length]), ForwardContext.Inference).Data;
            var ulps = expected.Zip(y).Select(p => Math.Abs(BitConverter.SingleToInt32Bits(p.First) - BitConverter.SingleToInt32Bits(p.Second))).ToArray();
            Assert.True(ulps.Max() <= 2, $"{activation.Name}: {ulps.Max()} ulps");
            Assert.True(ulps.Count(u => u != 0) < limit * x.Length, $"{activation.Name}: {ulps.Count(u => u != 0)} of {x.Length} differ");
        }
    }

    private static float[] Inputs(int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, Chips * C * N * P).Select(_ => (float)((rng.NextDouble() * 8) - 4)).ToArray();
    }

    // The tensor of chip g's [C][n][P] planes as the CPU holds it, [n, C, 1, P]; f applied; back to the GPU's layout.
    private static float[] PerChip(float[] x, Func<Tensor, Tensor> f, int outChannels = C) => PerChip([x], t => f(t[0]), outChannels);

    // As above with several inputs of one shape.
    private static float[] PerChip(float[][] xs, Func<Tensor[], Tensor> f, int outChannels = C)
    {
        var result = new List<float>();
        for (var g = 0; g < Chips; g++)
        {
            var chip = g;
            var y = f(xs.Select(x => CpuTensor(x, chip)).ToArray()).Data;
            var per = y.Length / N;
            var plane = per / outChannels;
            for (var c = 0; c < outChannels; c++)
            {
                for (var i = 0; i < N; i++)
                {
                    result.AddRange(y.AsSpan((i * per) + (c * plane), plane).ToArray());
                }
            }
        }

        return [.. result];
    }

    private static Tensor CpuTensor(float[] x, int g)
    {
        var t = new float[C * N * P];
        for (var c = 0; c < C; c++)
        {
            for (var i = 0; i < N; i++)
            {
                Array.Copy(x, (((g * C) + c) * N * P) + (i * P), t, ((i * C) + c) * P, P);
            }
        }

        return Tensor.FromArray(t, [N, C, 1, P]);
    }

    private float[] Map(ElementwiseMap map, float[] x)
    {
        var y = new float[x.Length];
        var run = (delegate* unmanaged<int, float*, float*, int, int, int, int, int, int, float*, void>)NativeLibrary.GetExport(_handle, "run_graph_map");
        fixed (float* px = x, py = y, pc = map.Constant)
        {
            run(Chips, px, py, C, N, P, (int)map.Function, BitConverter.SingleToInt32Bits(map.A), BitConverter.SingleToInt32Bits(map.B), pc);
        }

        return y;
    }

    private static void AssertBitwise(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
