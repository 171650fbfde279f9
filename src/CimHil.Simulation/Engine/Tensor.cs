namespace CimHil.Simulation.Engine;

/// <summary>
/// A dense float32 tensor in row-major (C) order with an optional reverse-mode autograd record.
/// Shapes follow PyTorch conventions: images are NCHW, linear weights [out, in], conv weights [out, in, kh, kw].
/// </summary>
/// <remarks>
/// Autograd is tape-free: every result that depends on a tensor with <see cref="RequiresGrad"/> keeps its parents and a
/// backward closure; <see cref="Backward()"/> walks the graph in reverse topological order. Leaf gradients accumulate
/// (as in PyTorch) until <see cref="ZeroGrad"/>; gradients of intermediate results are released after use.
/// Tensors are never modified in place by operations, so a result may share <see cref="Data"/> with its input (views).
/// </remarks>
public sealed class Tensor
{
    [ThreadStatic]
    private static int s_noGradDepth;

    private readonly int[] _shape;
    private Tensor[] _parents = [];
    private Action<Tensor>? _backward;

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    public Tensor(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var count = CountOf(shape);
        if (count != data.Length)
        {
            throw new ArgumentException($"Tensor shape [{string.Join(", ", shape)}] holds {count} elements but the data has {data.Length}.", nameof(data));
        }

        Data = data;
        _shape = (int[])shape.Clone();
    }

    /// <summary>The elements, row-major. Mutating them in place is allowed for leaves (optimizers, perturbation samplers).</summary>
    public float[] Data { get; }

    /// <summary>The dimensions.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The gradient of the last <see cref="Backward()"/> root with respect to this tensor (same shape), or null.</summary>
    public float[]? Grad { get; set; }

    /// <summary>Whether operations on this tensor are recorded for differentiation.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Optional label, e.g. the parameter path.</summary>
    public string? Name { get; set; }

    /// <summary>True when this tensor was not produced by a recorded operation.</summary>
    public bool IsLeaf => _backward is null;

    /// <summary>True inside a <see cref="NoGrad"/> scope on this thread.</summary>
    public static bool IsGradEnabled => s_noGradDepth == 0;

    /// <summary>Size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis) => _shape[axis < 0 ? _shape.Length + axis : axis];

    /// <summary>Disables recording on this thread until the returned scope is disposed (inference, Monte-Carlo).</summary>
    public static NoGradScope NoGrad()
    {
        s_noGradDepth++;
        return default;
    }

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[CountOf(shape)], shape);

    /// <summary>A copy of <paramref name="values"/> with the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] shape) => new(values.ToArray(), shape);

    /// <summary>A leaf that requires grad, e.g. a parameter or a weight perturbation ΔW.</summary>
    public static Tensor Parameter(float[] data, params int[] shape) => new(data, shape) { RequiresGrad = true };

    /// <summary>Number of elements of a shape.</summary>
    public static int CountOf(IReadOnlyList<int> shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Tensor dimension {d} is negative.", nameof(shape));
            }

            n *= d;
        }

        return n > int.MaxValue ? throw new ArgumentException($"Tensor of {n} elements exceeds {int.MaxValue}.", nameof(shape)) : (int)n;
    }

    /// <summary>The shape as a new array.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item() => Data.Length == 1 ? Data[0] : throw new InvalidOperationException($"Item() needs a one-element tensor, this one has shape {ShapeString()}.");

    /// <summary>A new leaf sharing no storage and no graph with this tensor.</summary>
    public Tensor Clone() => new((float[])Data.Clone(), _shape) { RequiresGrad = RequiresGrad, Name = Name };

    /// <summary>A leaf view of the same data, cut from the graph.</summary>
    public Tensor Detach() => new(Data, _shape);

    /// <summary>Clears the accumulated gradient.</summary>
    public void ZeroGrad()
    {
        if (Grad is not null)
        {
            Array.Clear(Grad);
        }
    }

    /// <summary>"[2, 3]".</summary>
    public string ShapeString() => $"[{string.Join(", ", _shape)}]";

    /// <inheritdoc />
    public override string ToString() => $"Tensor{ShapeString()}{(Name is null ? string.Empty : " " + Name)}";

    /// <summary>Back-propagates from this one-element tensor (seed gradient 1).</summary>
    public void Backward()
    {
        if (Data.Length != 1)
        {
            throw new InvalidOperationException($"Backward() without a seed needs a one-element tensor, this one has shape {ShapeString()}.");
        }

        Backward([1f]);
    }

    /// <summary>Back-propagates from this tensor with seed gradient <paramref name="seed"/> (same length).</summary>
    public void Backward(float[] seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != Data.Length)
        {
            throw new ArgumentException($"Seed gradient has {seed.Length} elements, the tensor {Data.Length}.", nameof(seed));
        }

        if (!RequiresGrad)
        {
            throw new InvalidOperationException("Backward() on a tensor that does not require grad (no parameter or input in its graph requires grad, or it was computed under NoGrad).");
        }

        var order = TopologicalOrder(this);
        AccumulateGrad(seed);
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var node = order[i];
            if (node._backward is null || node.Grad is null)
            {
                continue;
            }

            node._backward(node);

            // Intermediate gradients are not needed once propagated; releasing them keeps training memory flat.
            node.Grad = null;
        }
    }

    /// <summary>Adds <paramref name="g"/> into <see cref="Grad"/>, allocating it on first use.</summary>
    internal void AccumulateGrad(ReadOnlySpan<float> g)
    {
        if (Grad is null)
        {
            Grad = g.ToArray();
            return;
        }

        System.Numerics.Tensors.TensorPrimitives.Add(Grad, g, Grad);
    }

    /// <summary>Adds a freshly allocated gradient array, adopting it without a copy when no gradient exists yet.</summary>
    internal void AccumulateGradOwned(float[] g)
    {
        if (Grad is null)
        {
            Grad = g;
            return;
        }

        System.Numerics.Tensors.TensorPrimitives.Add(Grad, g, Grad);
    }

    /// <summary>The gradient buffer, allocated (zeroed) if absent; for backward closures that accumulate directly.</summary>
    internal float[] GradBuffer() => Grad ??= new float[Data.Length];

    /// <summary>Creates the result of an operation, recording the graph when any parent requires grad.</summary>
    internal static Tensor Result(float[] data, int[] shape, Tensor[] parents, Action<Tensor> backward)
    {
        var t = new Tensor(data, shape);
        if (!IsGradEnabled)
        {
            return t;
        }

        foreach (var p in parents)
        {
            if (p.RequiresGrad)
            {
                t.RequiresGrad = true;
                t._parents = parents;
                t._backward = backward;
                break;
            }
        }

        return t;
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        // Iterative DFS post-order: deep ResNets would overflow a recursive walk's stack.
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Node, int Next)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node._parents.Length)
            {
                stack.Push((node, next + 1));
                var parent = node._parents[next];
                if (parent.RequiresGrad && visited.Add(parent))
                {
                    stack.Push((parent, 0));
                }
            }
            else
            {
                order.Add(node);
            }
        }

        return order;
    }

    /// <summary>Scope returned by <see cref="NoGrad"/>.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        /// <summary>Re-enables recording (if this was the outermost scope).</summary>
        public void Dispose() => s_noGradDepth--;
    }
}
