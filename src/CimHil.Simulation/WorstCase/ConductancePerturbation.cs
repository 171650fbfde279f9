using System.Globalization;
using System.Runtime.InteropServices;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.WorstCase;

/// <summary>
/// The feasible set of one bound: Lower_i ≤ Δg_i ≤ Upper_i for every device, with Upper = k·σ_i and
/// Lower = −min(k·σ_i, G_i) (or −k·σ_i when conductances need not stay ≥ 0). Boxes grow with k, so a Δ feasible for a
/// smaller k stays feasible for a larger one.
/// </summary>
public sealed class PerturbationBox
{
    private PerturbationBox(double k, IReadOnlyList<LayerConductances> lower, IReadOnlyList<LayerConductances> upper)
    {
        K = k;
        Lower = lower;
        Upper = upper;
    }

    /// <summary>The bound multiplier k.</summary>
    public double K { get; }

    /// <summary>Lowest allowed Δg per device (≤ 0), siemens.</summary>
    public IReadOnlyList<LayerConductances> Lower { get; }

    /// <summary>Highest allowed Δg per device (≥ 0), siemens.</summary>
    public IReadOnlyList<LayerConductances> Upper { get; }

    /// <summary>The box for multiplier <paramref name="k"/> around the mapping's programming targets.</summary>
    public static PerturbationBox Create(MappedNetwork mapped, IReadOnlyList<LayerConductances> unitBounds, double k, bool respectsZeroConductance)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(unitBounds);
        if (!(k >= 0) || !double.IsFinite(k))
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"bound multiplier k = {k} must be a finite number ≥ 0");
        }

        var lower = new LayerConductances[mapped.Layers.Count];
        var upper = new LayerConductances[mapped.Layers.Count];
        for (var l = 0; l < mapped.Layers.Count; l++)
        {
            var t = mapped.Layers[l].Targets;
            var u = unitBounds[l];
            var lo = new LayerConductances(t.SliceCount, t.WeightCount);
            var hi = new LayerConductances(t.SliceCount, t.WeightCount);
            for (var s = 0; s < t.SliceCount; s++)
            {
                Fill(t.Plus[s], u.Plus[s], lo.Plus[s], hi.Plus[s]);
                Fill(t.Minus[s], u.Minus[s], lo.Minus[s], hi.Minus[s]);
            }

            lower[l] = lo;
            upper[l] = hi;
        }

        return new PerturbationBox(k, lower, upper);

        void Fill(double[] g, double[] sigma, double[] lo, double[] hi)
        {
            for (var i = 0; i < g.Length; i++)
            {
                var half = k * sigma[i];
                hi[i] = half;
                lo[i] = respectsZeroConductance ? -Math.Min(half, Math.Max(0, g[i])) : -half;
            }
        }
    }

    /// <summary>True when every Δg lies inside the box (within <paramref name="toleranceS"/>).</summary>
    public bool Contains(ConductancePerturbation delta, double toleranceS = 0)
    {
        ArgumentNullException.ThrowIfNull(delta);
        for (var l = 0; l < Lower.Count; l++)
        {
            for (var s = 0; s < Lower[l].SliceCount; s++)
            {
                if (!Inside(delta.Layers[l].Plus[s], Lower[l].Plus[s], Upper[l].Plus[s]) || !Inside(delta.Layers[l].Minus[s], Lower[l].Minus[s], Upper[l].Minus[s]))
                {
                    return false;
                }
            }
        }

        return true;

        bool Inside(double[] d, double[] lo, double[] hi)
        {
            for (var i = 0; i < d.Length; i++)
            {
                if (d[i] < lo[i] - toleranceS || d[i] > hi[i] + toleranceS)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>Projects <paramref name="delta"/> onto the box in place (element-wise clamp: the Euclidean projection onto a box).</summary>
    public void Project(ConductancePerturbation delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        for (var l = 0; l < Lower.Count; l++)
        {
            for (var s = 0; s < Lower[l].SliceCount; s++)
            {
                Clamp(delta.Layers[l].Plus[s], Lower[l].Plus[s], Upper[l].Plus[s]);
                Clamp(delta.Layers[l].Minus[s], Lower[l].Minus[s], Upper[l].Minus[s]);
            }
        }

        static void Clamp(double[] d, double[] lo, double[] hi)
        {
            for (var i = 0; i < d.Length; i++)
            {
                d[i] = Math.Clamp(d[i], lo[i], hi[i]);
            }
        }
    }

    /// <summary>Writes a uniformly random point of the box into <paramref name="target"/> (one draw of <paramref name="rng"/> per device, in layer, slice, plus-then-minus order).</summary>
    public void RandomPoint(SimulationRng rng, ConductancePerturbation target)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(target);
        for (var l = 0; l < Lower.Count; l++)
        {
            for (var s = 0; s < Lower[l].SliceCount; s++)
            {
                Fill(Lower[l].Plus[s], Upper[l].Plus[s], target.Layers[l].Plus[s]);
                Fill(Lower[l].Minus[s], Upper[l].Minus[s], target.Layers[l].Minus[s]);
            }
        }

        void Fill(double[] lo, double[] hi, double[] d)
        {
            for (var i = 0; i < d.Length; i++)
            {
                d[i] = lo[i] + ((hi[i] - lo[i]) * rng.NextDouble());
            }
        }
    }
}

/// <summary>
/// A deviation Δg of every device of a mapped network from its programming target (siemens), per layer in
/// <see cref="MappedNetwork.Layers"/> order. Saved as safetensors in float64 so that re-applying it reproduces the
/// conductances bit for bit.
/// </summary>
public sealed class ConductancePerturbation
{
    /// <summary>Wraps per-layer deviations (not copied).</summary>
    public ConductancePerturbation(IReadOnlyList<LayerConductances> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = layers;
    }

    /// <summary>Δg per layer, siemens.</summary>
    public IReadOnlyList<LayerConductances> Layers { get; }

    /// <summary>Number of devices covered.</summary>
    public long DeviceCount => Layers.Sum(l => 2L * l.SliceCount * l.WeightCount);

    /// <summary>No deviation on any device of <paramref name="mapped"/>.</summary>
    public static ConductancePerturbation Zero(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        return new ConductancePerturbation(mapped.Layers.Select(l => new LayerConductances(l.SliceCount, l.Targets.WeightCount)).ToArray());
    }

    /// <summary>A deep copy.</summary>
    public ConductancePerturbation Clone() => new(Layers.Select(l => l.Clone()).ToArray());

    /// <summary>Copies every Δg into <paramref name="target"/> (same geometry).</summary>
    public void CopyTo(ConductancePerturbation target)
    {
        ArgumentNullException.ThrowIfNull(target);
        for (var l = 0; l < Layers.Count; l++)
        {
            Layers[l].CopyTo(target.Layers[l]);
        }
    }

    /// <summary>The perturbed conductances G = G_target + Δg of every layer.</summary>
    public LayerConductances[] ApplyTo(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        CheckGeometry(mapped);
        var result = new LayerConductances[mapped.Layers.Count];
        for (var l = 0; l < result.Length; l++)
        {
            var t = mapped.Layers[l].Targets;
            var g = new LayerConductances(t.SliceCount, t.WeightCount);
            for (var s = 0; s < t.SliceCount; s++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(t.Plus[s], Layers[l].Plus[s], g.Plus[s]);
                System.Numerics.Tensors.TensorPrimitives.Add(t.Minus[s], Layers[l].Minus[s], g.Minus[s]);
            }

            result[l] = g;
        }

        return result;
    }

    /// <summary>Largest |Δg_i| / σ_i over devices with σ_i &gt; 0: the smallest k whose box (ignoring the G ≥ 0 cut) holds this Δ.</summary>
    public double MaxNormalised(IReadOnlyList<LayerConductances> unitBounds)
    {
        ArgumentNullException.ThrowIfNull(unitBounds);
        var max = 0.0;
        for (var l = 0; l < Layers.Count; l++)
        {
            for (var s = 0; s < Layers[l].SliceCount; s++)
            {
                Scan(Layers[l].Plus[s], unitBounds[l].Plus[s]);
                Scan(Layers[l].Minus[s], unitBounds[l].Minus[s]);
            }
        }

        return max;

        void Scan(double[] d, double[] sigma)
        {
            for (var i = 0; i < d.Length; i++)
            {
                if (sigma[i] > 0)
                {
                    max = Math.Max(max, Math.Abs(d[i]) / sigma[i]);
                }
            }
        }
    }

    /// <summary>Tensor name of one device array: "&lt;layer&gt;.delta_plus.&lt;slice&gt;" / "&lt;layer&gt;.delta_minus.&lt;slice&gt;".</summary>
    public static string TensorName(string layerPath, bool plus, int slice) =>
        string.Create(CultureInfo.InvariantCulture, $"{layerPath}.{(plus ? "delta_plus" : "delta_minus")}.{slice}");

    /// <summary>Writes Δg as safetensors (F64, each array shaped [OutputCount, FanIn]) with string metadata.</summary>
    public Task SaveAsync(MappedNetwork mapped, string path, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(path);
        CheckGeometry(mapped);
        var tensors = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        for (var l = 0; l < Layers.Count; l++)
        {
            var layer = mapped.Layers[l];
            int[] shape = [layer.OutputCount, layer.FanIn];
            for (var s = 0; s < layer.SliceCount; s++)
            {
                tensors[TensorName(layer.Path, true, s)] = F64(Layers[l].Plus[s], shape);
                tensors[TensorName(layer.Path, false, s)] = F64(Layers[l].Minus[s], shape);
            }
        }

        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["kind"] = "cimhil.worst-case.delta-g",
            ["units"] = "siemens",
            ["layers"] = string.Join(",", mapped.Layers.Select(x => x.Path)),
            ["slices"] = mapped.Options.SliceCount.ToString(CultureInfo.InvariantCulture),
        };
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        return Safetensors.WriteAsync(path, tensors, meta, cancellationToken);

        static SafetensorsEntry F64(double[] values, int[] shape) =>
            new("F64", shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    /// <summary>Reads a Δg file written by <see cref="SaveAsync"/> for the same mapping; geometry mismatches name the tensor.</summary>
    public static async Task<(ConductancePerturbation Delta, IReadOnlyDictionary<string, string> Metadata)> LoadAsync(MappedNetwork mapped, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        var file = await Safetensors.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var delta = Zero(mapped);
        for (var l = 0; l < mapped.Layers.Count; l++)
        {
            var layer = mapped.Layers[l];
            for (var s = 0; s < layer.SliceCount; s++)
            {
                Read(TensorName(layer.Path, true, s), delta.Layers[l].Plus[s]);
                Read(TensorName(layer.Path, false, s), delta.Layers[l].Minus[s]);
            }
        }

        return (delta, file.Metadata);

        void Read(string name, double[] target)
        {
            if (!file.Tensors.TryGetValue(name, out var e))
            {
                throw new SafetensorsFormatException(path, $"tensor '{name}' is missing (the file was saved for another mapping?)");
            }

            if (e.DType != "F64" || e.Bytes.Length != target.Length * sizeof(double))
            {
                throw new SafetensorsFormatException(path, $"tensor '{name}' is {e.DType} with {e.Bytes.Length} bytes, expected F64 with {target.Length * sizeof(double)}");
            }

            MemoryMarshal.Cast<byte, double>(e.Bytes.AsSpan()).CopyTo(target);
        }
    }

    private void CheckGeometry(MappedNetwork mapped)
    {
        if (mapped.Layers.Count != Layers.Count)
        {
            throw new ArgumentException($"Perturbation has {Layers.Count} layers, the mapping {mapped.Layers.Count}.");
        }

        for (var l = 0; l < Layers.Count; l++)
        {
            var t = mapped.Layers[l].Targets;
            if (t.SliceCount != Layers[l].SliceCount || t.WeightCount != Layers[l].WeightCount)
            {
                throw new ArgumentException($"Layer '{mapped.Layers[l].Path}': perturbation of {Layers[l].SliceCount}×{Layers[l].WeightCount} devices per sign, the mapping has {t.SliceCount}×{t.WeightCount}.");
            }
        }
    }
}
