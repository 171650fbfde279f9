using CimHil.Simulation.Mapping;
using CimHil.Simulation.WorstCase;

namespace CimHil.Simulation.Tests.WorstCase;

/// <summary>
/// The GPU's resident search state (src/CimHil.Simulation.Cuda/CudaSearchState.cs, Kernels/searchstate.cu) with each kernel's
/// arithmetic written out in C# over the same flat arrays, operation for operation, so CI can hold the device loop's math
/// against the CPU loop's without a GPU. The forward and backward are the CPU's (<see cref="MappedForward"/>).
/// </summary>
internal sealed class KernelMathSearchState : IResidentSearchState
{
    private readonly MappedForward _forward;
    private readonly FlatDeviceLayout _layout;
    private readonly double[] _targets;
    private readonly double[] _coefficients;
    private double[] _delta = [];
    private double[] _best = [];
    private double[] _lower = [];
    private double[] _upper = [];
    private double[] _moment1 = [];
    private double[] _moment2 = [];
    private float[] _margins = [];
    private float[][] _gradients = [];
    private double _clip = double.PositiveInfinity;

    public KernelMathSearchState(MappedForward forward)
    {
        _forward = forward;
        _layout = new FlatDeviceLayout(forward.Mapped);
        _targets = _layout.Flatten(forward.Mapped.Layers.Select(l => l.Targets).ToArray());
        _coefficients = _layout.FlattenCoefficients(forward.Mapped);
    }

    public int BoxLoads { get; private set; }

    public int StartLoads { get; private set; }

    public void LoadBox(PerturbationBox box)
    {
        BoxLoads++;
        _lower = _layout.Flatten(box.Lower);
        _upper = _layout.Flatten(box.Upper);
    }

    public void LoadStart(ConductancePerturbation start)
    {
        StartLoads++;
        _delta = _layout.Flatten(start.Layers);
        _best = new double[_delta.Length];
        _moment1 = new double[_delta.Length];
        _moment2 = new double[_delta.Length];
        _clip = double.PositiveInfinity;
    }

    public (int Correct, double Loss) Pass(double kappa)
    {
        // wc_decode's G = t + Δ per device; the CPU's pass then decodes W from these conductances (MappedLayer.Decode).
        var conductances = new LayerConductances[_layout.Weights.Count];
        for (var l = 0; l < conductances.Length; l++)
        {
            var g = new LayerConductances(_layout.Slices[l], _layout.Weights[l]);
            for (var s = 0; s < _layout.Slices[l]; s++)
            {
                for (var i = 0; i < _layout.Weights[l]; i++)
                {
                    var p = _layout.Index(l, s, true, i);
                    var m = _layout.Index(l, s, false, i);
                    g.Plus[s][i] = _targets[p] + _delta[p];
                    g.Minus[s][i] = _targets[m] + _delta[m];
                }
            }

            conductances[l] = g;
        }

        var outcome = _forward.Gradient(conductances, kappa, _clip);
        _margins = outcome.Margins;
        _gradients = outcome.WeightGradients!;
        return (outcome.Correct, outcome.Loss);
    }

    public void KeepStartBest() => _delta.CopyTo(_best, 0);

    // wc_step: one thread per (slice, weight), G⁺ then G⁻, the move then the clamp.
    public void Step(ResidentStep step)
    {
        for (var l = 0; l < _layout.Weights.Count; l++)
        {
            var n = _layout.Weights[l];
            for (var idx = 0L; idx < (long)_layout.Slices[l] * n; idx++)
            {
                var s = idx / n;
                var i = (int)(idx % n);
                var c = _coefficients[_layout.CoefficientOffsets[l] + idx];
                var dw = (double)_gradients[l][i];
                for (var half = 0; half < 2; half++)
                {
                    var p = _layout.Offsets[l] + (2 * s * n) + (half * n) + i;
                    var d = _delta[p];
                    var h = _upper[p];
                    if (h > 0)
                    {
                        var g = (half == 0 ? c : -c) * dw;
                        if (!step.Adam)
                        {
                            var sg = g > 0 ? 1.0 : g < 0 ? -1.0 : 0.0;
                            d -= step.Eta * h * sg;
                        }
                        else
                        {
                            var gu = g * h;
                            var m1 = (step.Beta1 * _moment1[p]) + ((1.0 - step.Beta1) * gu);
                            var m2 = (step.Beta2 * _moment2[p]) + ((1.0 - step.Beta2) * gu * gu);
                            _moment1[p] = m1;
                            _moment2[p] = m2;
                            d -= step.Eta * h * (m1 / step.BiasCorrection1) / (Math.Sqrt(m2 / step.BiasCorrection2) + step.Epsilon);
                        }
                    }

                    var lo = _lower[p];
                    _delta[p] = d < lo ? lo : d > h ? h : d;
                }
            }
        }
    }

    public void FocusClip(double focus) => _clip = RadixSelect(_margins, focus);

    public double ReadUpper() => _clip;

    public void ReadStartBest(ConductancePerturbation target) => _layout.Unflatten(_best, target.Layers);

    /// <summary>wc_focus_select: the ⌈f·P⌉-th smallest positive margin by four 8-bit radix passes over the float bits.</summary>
    public static double RadixSelect(ReadOnlySpan<float> margins, double focus)
    {
        var positive = 0;
        foreach (var v in margins)
        {
            if (v > 0)
            {
                positive++;
            }
        }

        if (positive == 0)
        {
            return double.PositiveInfinity;
        }

        var r = (int)Math.Ceiling(focus * positive) - 1;
        var rank = (uint)(r < 0 ? 0 : r > positive - 1 ? positive - 1 : r);
        uint prefix = 0, mask = 0;
        var hist = new uint[256];
        for (var shift = 24; shift >= 0; shift -= 8)
        {
            Array.Clear(hist);
            foreach (var v in margins)
            {
                var bits = BitConverter.SingleToUInt32Bits(v);
                if (v > 0 && (bits & mask) == prefix)
                {
                    hist[(bits >> shift) & 255u]++;
                }
            }

            uint b = 0;
            while (hist[b] <= rank)
            {
                rank -= hist[b];
                b++;
            }

            prefix |= b << shift;
            mask |= 255u << shift;
        }

        return BitConverter.UInt32BitsToSingle(prefix);
    }
}
