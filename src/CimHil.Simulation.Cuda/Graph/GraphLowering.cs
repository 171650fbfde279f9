using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;

namespace CimHil.Simulation.Cuda.Graph;

/// <summary>
/// Lowers a network's module tree — built-in (Sequential, ResidualBlock) or an imported <see cref="OnnxGraph"/> — into the
/// GPU's op list over numbered values, with each value's per-image shape. Only shapes and constants are read; the weights
/// come per chip from <c>ChipWeights</c>. A module the GPU lacks is refused naming it (the ONNX node for imported graphs).
/// </summary>
internal sealed class GraphLowering
{
    /// <summary>What the GPU graph forward supports, for the refusal message.</summary>
    public const string Supported =
        "Conv, Gemm/MatMul (Linear), BatchNormalization, Relu, LeakyRelu, Clip, Sigmoid, Tanh, Add/Sub/Mul/Div with a constant, Add/Sub/Mul of two tensors, MaxPool, AveragePool, GlobalAveragePool, Concat (channels by copies, other axes but the batch by a scatter), Flatten, Reshape, Transpose, Pad";

    private readonly MappedNetwork _mapped;
    private readonly List<GraphOp> _ops = [];
    private readonly List<GraphValue> _values = [];

    // Per-image dimensions of each value as the CPU's tensor has them ([C, H, W], [F], [H, W, C] after a Transpose, …): the
    // rank decides how a constant broadcasts and what a Reshape or Transpose does; GraphValue keeps only the GPU layout.
    private readonly List<int[]> _dims = [];

    // A value that is another value's data under other dimensions (a Reshape that moves nothing): ops read the original.
    private readonly Dictionary<int, int> _aliasOf = [];

    private GraphLowering(MappedNetwork mapped) => _mapped = mapped;

    /// <summary>Lowers <paramref name="mapped"/>'s network; throws <see cref="CudaException"/> naming the first module the GPU lacks.</summary>
    public static (IReadOnlyList<GraphOp> Ops, IReadOnlyList<GraphValue> Values, int Output) Lower(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var network = mapped.Network;
        var shape = network.InputShape;
        var input = shape.Count switch
        {
            3 => new GraphValue(shape[0], shape[1], shape[2]),
            1 => new GraphValue(shape[0], 1, 1),
            _ => throw new CudaException($"{network.Architecture}: input [{string.Join(", ", shape)}] is neither [C, H, W] nor [F]"),
        };
        var lowering = new GraphLowering(mapped);
        lowering._values.Add(input);
        lowering._dims.Add([.. shape]);
        var output = lowering.Resolve(lowering.Module(network.Body, "", 0));
        var last = lowering._values[output];
        if (last.PerImage != network.ClassCount)
        {
            throw new CudaException($"{network.Architecture}: the graph's output {last} is not [{network.ClassCount}] logits");
        }

        if (last.Plane != 1)
        {
            output = lowering.Emit(GraphOpKind.Flatten, "output", [output], new GraphValue((int)last.PerImage, 1, 1));
        }

        var ops = lowering._ops.Select(o => o with { Inputs = o.Inputs.Select(lowering.Resolve).ToArray() }).ToList();
        return (ops, lowering._values, output);
    }

    // What a flat value's or a reshaped value's dimensions are on the GPU: [C][n][rest] planes, C the first dimension.
    private static GraphValue ValueOf(IReadOnlyList<int> dims) => dims.Count switch
    {
        1 => new GraphValue(dims[0], 1, 1),
        2 => new GraphValue(dims[0], dims[1], 1),
        _ => new GraphValue(dims[0], dims.Skip(1).SkipLast(1).Aggregate(1, (a, b) => a * b), dims[^1]),
    };

    private int Resolve(int value) => _aliasOf.TryGetValue(value, out var original) ? original : value;

    private static string Path(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    private int Emit(GraphOpKind kind, string where, IReadOnlyList<int> inputs, GraphValue shape, Func<GraphOp, GraphOp>? set = null, int[]? dims = null)
    {
        _values.Add(shape);
        _dims.Add(dims ?? kind switch
        {
            GraphOpKind.Linear or GraphOpKind.Flatten => [shape.C],
            GraphOpKind.Epilogue or GraphOpKind.Add or GraphOpKind.Map => _dims[inputs[0]],
            GraphOpKind.Concat => [shape.C, .. _dims[inputs[0]].Skip(1)],
            _ => [shape.C, shape.H, shape.W],
        });
        var op = new GraphOp { Kind = kind, Inputs = inputs, Output = _values.Count - 1, Where = where };
        _ops.Add(set is null ? op : set(op));
        return _values.Count - 1;
    }

    private int Module(Module module, string path, int x)
    {
        switch (module)
        {
            case Sequential s:
                foreach (var (name, m) in s.Layers)
                {
                    x = Module(m, Path(path, name), x);
                }

                return x;
            case ResidualBlock r:
                {
                    var main = Module(r.Main, path, x);
                    var shortcut = r.Shortcut is null ? x : Module(r.Shortcut, Path(path, "shortcut"), x);
                    return Node(new TensorSum(ElementwiseOp.Add), $"module '{path}' (ResidualBlock)", [main, shortcut], relu: true);
                }

            case OnnxGraph g:
                {
                    var named = new Dictionary<string, int>(StringComparer.Ordinal) { [g.InputName] = x };
                    foreach (var step in g.Steps)
                    {
                        var inputs = step.Inputs.Select(i => named.TryGetValue(i, out var v) ? v : throw new CudaException($"{step.Where}: input '{i}' is not computed before it")).ToArray();
                        named[step.Output] = Node(step.Module, step.Where, inputs);
                    }

                    return named[g.OutputName];
                }

            default:
                return Node(module, $"module '{path}' ({module.Describe()})", [x]);
        }
    }

    private int Node(Module module, string where, IReadOnlyList<int> inputs, bool relu = false)
    {
        var x = inputs[0];
        var s = _values[x];
        switch (module)
        {
            case Conv2d c:
                return Conv(c, where, x, c.Kernel, c.Kernel, new ConvolutionGeometry
                {
                    StrideH = c.Stride,
                    StrideW = c.Stride,
                    PadTop = c.Padding,
                    PadLeft = c.Padding,
                    PadBottom = c.Padding,
                    PadRight = c.Padding,
                });
            case GeneralConv2d g:
                return Conv(g, where, x, g.Weight.Dim(2), g.Weight.Dim(3), g.Geometry);
            case Linear l:
                if (s.Plane != 1 || s.C != l.InFeatures)
                {
                    throw new CudaException($"{where}: input {s} does not match Linear({l.InFeatures}→{l.OutFeatures})");
                }

                return Emit(GraphOpKind.Linear, where, [x], new GraphValue(l.OutFeatures, 1, 1), o => o with { WeightIndex = WeightIndex(l, where), Bias = l.Bias?.Data });
            case BatchNorm2d b:
                if (b.Channels != s.C)
                {
                    throw new CudaException($"{where}: BatchNorm of {b.Channels} channels on {s}");
                }

                return Emit(GraphOpKind.Epilogue, where, [x], s, o => o with { Affine = ChannelAffine.Of(b) });
            case Relu:
                return Emit(GraphOpKind.Epilogue, where, [x], s, o => o with { Relu = true });
            case MaxPool2d m:
                return Pool(GraphOpKind.MaxPool, where, x, m.Kernel, m.Stride == 0 ? m.Kernel : m.Stride);
            case AvgPool2d { Kernel: 0 }:
            case GlobalAveragePool:
                return Emit(GraphOpKind.GlobalAvgPool, where, [x], new GraphValue(s.C, 1, 1));
            case AvgPool2d a:
                return Pool(GraphOpKind.AvgPool, where, x, a.Kernel, a.Stride == 0 ? a.Kernel : a.Stride);
            case Flatten:
                return Flat(where, x);
            case Identity:
                return x;
            case Activation activation:
                return Emit(GraphOpKind.Map, where, [x], s, o => o with { Map = ElementwiseMap.Of(activation) });
            case ConstantArithmetic arithmetic:
                {
                    ElementwiseMap map;
                    try
                    {
                        map = ElementwiseMap.Of(arithmetic, _dims[x]);
                    }
                    catch (CudaException e)
                    {
                        throw new CudaException($"{where}: {e.Message}");
                    }

                    return Emit(GraphOpKind.Map, where, [x], s, o => o with { Map = map });
                }

            case ShapeNode or ZeroPad:
                return Gather(module, where, x);
            case TensorSum { Op: ElementwiseOp.Add or ElementwiseOp.Subtract or ElementwiseOp.Multiply } sum:
                {
                    var b = _values[inputs[1]];
                    if (b != s || !_dims[inputs[1]].SequenceEqual(_dims[x]))
                    {
                        throw new CudaException($"{where}: {sum.Op} of {s} and {b}");
                    }

                    return Emit(GraphOpKind.Add, where, inputs, s, o => o with { Arithmetic = sum.Op, Relu = relu });
                }

            case ConcatNode { Axis: 1 }:
                {
                    var shapes = inputs.Select(i => _values[i]).ToArray();
                    if (shapes.Any(v => v.H != s.H || v.W != s.W))
                    {
                        throw new CudaException($"{where}: Concat of {string.Join(", ", shapes)}");
                    }

                    return Emit(GraphOpKind.Concat, where, inputs, new GraphValue(shapes.Sum(v => v.C), s.H, s.W));
                }

            case ConcatNode concat:
                return Scatter(concat, where, inputs);

            default:
                throw Refuse(where, module, null);
        }
    }

    private static CudaException Refuse(string where, Module module, string? why) =>
        new($"{where}: {module.Describe()} does not run on the GPU yet ({why ?? $"supported: {Supported}"})");

    private int Flat(string where, int x)
    {
        var s = _values[x];
        return s.Plane == 1 ? Alias(x, [s.C]) : Emit(GraphOpKind.Flatten, where, [x], new GraphValue((int)s.PerImage, 1, 1));
    }

    private int Alias(int x, int[] dims)
    {
        if (_dims[x].SequenceEqual(dims))
        {
            return x;
        }

        _values.Add(ValueOf(dims));
        _dims.Add(dims);
        _aliasOf[_values.Count - 1] = Resolve(x);
        return _values.Count - 1;
    }

    // Reshape, Transpose and Pad move data only (GatherTable). A table that keeps the order is a flatten or an alias; any other
    // is a Gather op.
    private int Gather(Module module, string where, int x)
    {
        int[] outDims, sources;
        try
        {
            (outDims, sources) = GatherTable.Of(module, _dims[x]);
        }
        catch (CudaException e)
        {
            throw Refuse(where, module, e.Message);
        }

        if (outDims.Length == 0)
        {
            throw Refuse(where, module, "its output has no dimension besides the batch");
        }

        var count = _values[x].PerImage;
        var ordered = sources.Length == count && sources.Select((v, i) => v == i).All(b => b);
        if (ordered && ValueOf(outDims).C == _values[x].C)
        {
            return Alias(x, outDims);
        }

        if (ordered && outDims.Length == 1)
        {
            return Flat(where, x);
        }

        return Emit(GraphOpKind.Gather, where, [x], ValueOf(outDims), o => o with { Sources = sources }, outDims);
    }

    // Concat on an axis other than the channels: data movement only, probed from the CPU's node (GatherTable.Scatter). The
    // batch axis would mix images, which the per-image table cannot say: refused.
    private int Scatter(ConcatNode concat, string where, IReadOnlyList<int> inputs)
    {
        var rank = _dims[inputs[0]].Length + 1;
        var axis = concat.Axis < 0 ? concat.Axis + rank : concat.Axis;
        if (axis <= 0 || axis >= rank)
        {
            throw Refuse(where, concat, axis == 0 ? "the batch axis" : $"axis {concat.Axis} of {rank}");
        }

        int[] outDims, destinations;
        try
        {
            (outDims, destinations) = GatherTable.Scatter(concat, inputs.Select(i => (IReadOnlyList<int>)_dims[i]).ToArray());
        }
        catch (Exception e) when (e is CudaException or ArgumentException)
        {
            throw Refuse(where, concat, e.Message);
        }

        return Emit(GraphOpKind.Scatter, where, inputs, ValueOf(outDims), o => o with { Destinations = destinations }, outDims);
    }

    private int Pool(GraphOpKind kind, string where, int x, int kernel, int stride)
    {
        var s = _values[x];
        var oh = ((s.H - kernel) / stride) + 1;
        var ow = ((s.W - kernel) / stride) + 1;
        if (kernel < 1 || stride < 1 || oh < 1 || ow < 1)
        {
            throw new CudaException($"{where}: pooling {kernel}/{stride} does not fit {s}");
        }

        return Emit(kind, where, [x], new GraphValue(s.C, oh, ow), o => o with { KernelH = kernel, KernelW = kernel, Geometry = new ConvolutionGeometry { StrideH = stride, StrideW = stride } });
    }

    private int Conv(IWeightedLayer layer, string where, int x, int kh, int kw, ConvolutionGeometry g)
    {
        var s = _values[x];
        var o = layer.OutputCount;
        if (s.C != layer.Weight.Dim(1) * g.Groups || o % g.Groups != 0)
        {
            throw new CudaException($"{where}: input {s} does not match the weight {layer.Weight.ShapeString()} with {g.Groups} group(s)");
        }

        var oh = ((s.H + g.PadTop + g.PadBottom - (g.DilationH * (kh - 1)) - 1) / g.StrideH) + 1;
        var ow = ((s.W + g.PadLeft + g.PadRight - (g.DilationW * (kw - 1)) - 1) / g.StrideW) + 1;
        if (oh < 1 || ow < 1)
        {
            throw new CudaException($"{where}: kernel {kh}×{kw} does not fit {s}");
        }

        return Emit(GraphOpKind.Conv, where, [x], new GraphValue(o, oh, ow), op => op with
        {
            WeightIndex = WeightIndex(layer, where),
            KernelH = kh,
            KernelW = kw,
            Geometry = g,
            Bias = layer.Bias?.Data,
        });
    }

    private int WeightIndex(IWeightedLayer layer, string where)
    {
        for (var i = 0; i < _mapped.Layers.Count; i++)
        {
            if (ReferenceEquals(_mapped.Layers[i].Layer, layer))
            {
                return i;
            }
        }

        throw new CudaException($"{where}: the layer is not among the mapped network's crossbar layers");
    }
}
