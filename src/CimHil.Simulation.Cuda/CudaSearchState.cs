using System.Runtime.InteropServices;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.WorstCase;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// The worst-case search's state resident on the GPU (<see cref="IResidentSearchState"/>, docs/gpu.md): targets, coefficients,
/// Δ, the start's best Δ, the box and Adam's moments as doubles in <see cref="FlatDeviceLayout"/> order, the margins of the
/// last pass and the focus clip U. Per pass one kernel per layer decodes W into the passes' weight buffers, the passes' own
/// forward and backward run over the resident test set, and the scoring (Kernels/searchstate.cu) writes the seed where the
/// backward reads it; one download of 16 bytes per pass brings back the correct count and the objective.
/// </summary>
internal sealed class CudaSearchState : IResidentSearchState, IDisposable
{
    // scalars, in 4-byte words: [0, 1] the objective (double), [2, 3] U (double), [4] the correct count (int), [5] padding.
    private const int ScalarWords = 6;
    private readonly CudaWorstCasePasses _passes;
    private readonly MappedNetwork _mapped;
    private readonly FlatDeviceLayout _layout;
    private readonly DeviceBuffer _targets;
    private readonly DeviceBuffer _coefficients;
    private readonly DeviceBuffer _delta;
    private readonly DeviceBuffer _best;
    private readonly DeviceBuffer _lower;
    private readonly DeviceBuffer _upper;
    private readonly DeviceBuffer _moment1;
    private readonly DeviceBuffer _moment2;
    private readonly DeviceBuffer _margins;
    private readonly DeviceBuffer _terms;
    private readonly DeviceBuffer _hits;
    private readonly DeviceBuffer _labels;
    private readonly DeviceBuffer _scalars;
    private readonly float[] _hostScalars = new float[ScalarWords];

    public CudaSearchState(CudaWorstCasePasses passes, MappedNetwork mapped)
    {
        _passes = passes;
        _mapped = mapped;
        _layout = new FlatDeviceLayout(mapped);
        passes.Device.MakeCurrent();
        _targets = Doubles(_layout.Flatten(mapped.Layers.Select(l => l.Targets).ToArray()));
        _coefficients = Doubles(_layout.FlattenCoefficients(mapped));
        _delta = new DeviceBuffer(2 * _layout.Devices);
        _best = new DeviceBuffer(2 * _layout.Devices);
        _lower = new DeviceBuffer(2 * _layout.Devices);
        _upper = new DeviceBuffer(2 * _layout.Devices);
        _moment1 = new DeviceBuffer(2 * _layout.Devices);
        _moment2 = new DeviceBuffer(2 * _layout.Devices);
        _margins = new DeviceBuffer(passes.Data.Count);
        _terms = new DeviceBuffer(2L * passes.ChunkImages);
        _hits = new DeviceBuffer(passes.ChunkImages);
        _labels = new DeviceBuffer(passes.Data.Count);
        _labels.Upload(passes.Labels);
        _scalars = new DeviceBuffer(ScalarWords);
    }

    public void LoadBox(PerturbationBox box)
    {
        ArgumentNullException.ThrowIfNull(box);
        _passes.Device.MakeCurrent();
        Upload(_lower, _layout.Flatten(box.Lower));
        Upload(_upper, _layout.Flatten(box.Upper));
    }

    public void LoadStart(ConductancePerturbation start)
    {
        ArgumentNullException.ThrowIfNull(start);
        _passes.Device.MakeCurrent();
        Upload(_delta, _layout.Flatten(start.Layers));
        _moment1.Fill(0, _moment1.Elements);
        _moment2.Fill(0, _moment2.Elements);
        SetUpper(double.PositiveInfinity);
    }

    public (int Correct, double Loss) Pass(double kappa)
    {
        _passes.Device.MakeCurrent();
        var k = _passes.Device.Kernels;
        for (var l = 0; l < _mapped.Layers.Count; l++)
        {
            var n = _layout.Weights[l];
            k.Launch("wc_decode", n, 1, Device(_targets, _layout.Offsets[l]), Device(_delta, _layout.Offsets[l]), Device(_coefficients, _layout.CoefficientOffsets[l]), _passes.Weights(l).Pointer, n, _layout.Slices[l]);
            var gradient = _passes.WeightGradient(l);
            gradient.Fill(0, gradient.Elements);
        }

        var count = _passes.Data.Count;
        var classes = _passes.Classes;
        for (var start = 0; start < count; start += _passes.ChunkImages)
        {
            var n = Math.Min(_passes.ChunkImages, count - start);
            var logits = _passes.Forward(start, n);
            k.Launch("wc_score", n, 1, logits.Pointer, _labels.At(start), n, classes, kappa, _scalars.Pointer, _margins.At(start), _terms.Pointer, _hits.Pointer, _passes.Seed.Pointer);
            k.LaunchGrid("wc_score_sum", 1, 1, _terms.Pointer, _hits.Pointer, n, start == 0 ? 1 : 0, _scalars.Pointer, _scalars.At(4));
            _passes.Backward(n);
        }

        _scalars.Download<float>(_hostScalars);
        var words = MemoryMarshal.Cast<float, double>(_hostScalars.AsSpan(0, 4));
        return (BitConverter.SingleToInt32Bits(_hostScalars[4]), words[0]);
    }

    public void KeepStartBest()
    {
        _passes.Device.MakeCurrent();
        _passes.Device.Kernels.Launch("wc_copy", _layout.Devices, 1, _delta.Pointer, _best.Pointer, _layout.Devices);
    }

    public void Step(ResidentStep step)
    {
        ArgumentNullException.ThrowIfNull(step);
        _passes.Device.MakeCurrent();
        var k = _passes.Device.Kernels;
        for (var l = 0; l < _mapped.Layers.Count; l++)
        {
            var o = _layout.Offsets[l];
            var n = _layout.Weights[l];
            var slices = _layout.Slices[l];
            k.Launch(
                "wc_step", (long)slices * n, 1, Device(_delta, o), Device(_lower, o), Device(_upper, o), Device(_moment1, o), Device(_moment2, o),
                Device(_coefficients, _layout.CoefficientOffsets[l]), _passes.WeightGradient(l).Pointer, n, slices, step.Eta, step.Adam ? 1 : 0,
                step.Beta1, step.Beta2, step.Epsilon, step.BiasCorrection1, step.BiasCorrection2);
        }
    }

    public void FocusClip(double focus)
    {
        _passes.Device.MakeCurrent();
        _passes.Device.Kernels.LaunchGrid("wc_focus_select", 1, 1, _margins.Pointer, _passes.Data.Count, focus, _scalars.Pointer);
    }

    public double ReadUpper()
    {
        _passes.Device.MakeCurrent();
        _scalars.Download<float>(_hostScalars);
        return MemoryMarshal.Cast<float, double>(_hostScalars.AsSpan(0, 4))[1];
    }

    public void ReadStartBest(ConductancePerturbation target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _passes.Device.MakeCurrent();
        var flat = new double[_layout.Devices];
        _best.Download(MemoryMarshal.Cast<double, float>(flat.AsSpan()));
        _layout.Unflatten(flat, target.Layers);
    }

    public void Dispose()
    {
        _passes.Device.MakeCurrent();
        foreach (var b in new[] { _targets, _coefficients, _delta, _best, _lower, _upper, _moment1, _moment2, _margins, _terms, _hits, _labels, _scalars })
        {
            b.Dispose();
        }
    }

    // Address of double element `index` of a buffer of doubles.
    private static ulong Device(DeviceBuffer doubles, long index) => doubles.At(2 * index);

    private static DeviceBuffer Doubles(double[] values)
    {
        var buffer = new DeviceBuffer(Math.Max(2, 2L * values.Length));
        Upload(buffer, values);
        return buffer;
    }

    private static void Upload(DeviceBuffer buffer, double[] values) => buffer.Upload<float>(MemoryMarshal.Cast<double, float>(values.AsSpan()));

    private void SetUpper(double upper)
    {
        Span<double> u = [upper];
        _scalars.Upload<float>(MemoryMarshal.Cast<double, float>(u), 2);
    }
}
