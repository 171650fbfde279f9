using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.WorstCase;

/// <summary>
/// Greedy polish of one worst-case start: rank devices by the first-order gain |∂L/∂Δg|·|bound − Δg| of moving to the bound
/// in the descent direction, then move blocks of the best-ranked devices there, keeping a block only if the exact forward
/// confirms fewer correct images (or as many with a lower objective); a rejected block is halved, an accepted one doubled.
/// Then whole-layer moves, then sweeps over single devices. Works on <c>best</c> in place; one instance per polish.
/// </summary>
internal sealed class GreedyPolish(MappedForward forward, IWorstCasePasses passes, WorstCaseOptions options, double kappa, PerturbationBox box, ConductancePerturbation best, double upper)
{
    private readonly MappedNetwork _mapped = forward.Mapped;
    private readonly List<(double Gain, int Layer, int Slice, bool Plus, int Index, double Target)> _candidates = [];
    private readonly List<(double Magnitude, int Layer, int Slice, bool Plus, int Index)> _magnitudes = [];
    private int _correct;
    private double _bestLoss;
    private int _evaluations;
    private bool _improved;

    private bool BudgetLeft => _evaluations < options.PolishEvaluations;

    /// <summary>Polishes <c>best</c> in place within the evaluation budget of the options.</summary>
    public PolishOutcome Run(CancellationToken cancellationToken)
    {
        var outcome = passes.Gradient(best.ApplyTo(_mapped), kappa, upper);

        // Re-base the comparison on this pass: the main loop's losses were taken under other focus clips U.
        var baseline = forward.HasConverters ? forward.Evaluate(best.ApplyTo(_mapped), kappa, upper) : outcome;
        _correct = baseline.Correct;
        _bestLoss = baseline.Loss;
        Rank(outcome.WeightGradients!);
        BlockMoves(cancellationToken);
        LayerMoves(cancellationToken);
        DeviceSweeps(cancellationToken);
        return new PolishOutcome(_correct, _improved, 1, (forward.HasConverters ? 1 : 0) + _evaluations);
    }

    // Phase 1: blocks of the best-ranked devices moved to the bound of their descent direction.
    private void BlockMoves(CancellationToken cancellationToken)
    {
        var ranked = _candidates.OrderByDescending(x => x.Gain).Take(options.PolishCandidates).ToArray();
        var blockSize = Math.Max(1, ranked.Length / 16);
        var position = 0;
        while (position < ranked.Length && BudgetLeft)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(blockSize, ranked.Length - position);
            var previous = new double[n];
            for (var j = 0; j < n; j++)
            {
                var x = ranked[position + j];
                var arr = Devices(x.Layer, x.Slice, x.Plus);
                previous[j] = arr[x.Index];
                arr[x.Index] = x.Target;
            }

            if (TryImprove())
            {
                position += n;
                blockSize = Math.Min(blockSize * 2, Math.Max(1, ranked.Length / 4));
                continue;
            }

            for (var j = 0; j < n; j++)
            {
                var x = ranked[position + j];
                Devices(x.Layer, x.Slice, x.Plus)[x.Index] = previous[j];
            }

            if (n == 1)
            {
                position++;
            }
            else
            {
                blockSize = Math.Max(1, n / 2);
            }
        }
    }

    // Phase 3 (run second): whole-layer moves (that layer's Δ reset to zero, or mirrored and projected back into the box):
    // the gradient drives every layer to its bounds, while the worst corner can leave a layer untouched.
    private void LayerMoves(CancellationToken cancellationToken)
    {
        for (var l = 0; l < _mapped.Layers.Count && BudgetLeft; l++)
        {
            var saved = best.Layers[l].Clone();
            for (var move = 0; move < 2 && BudgetLeft; move++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var layerDelta = best.Layers[l];
                for (var s = 0; s < layerDelta.SliceCount; s++)
                {
                    Transform(layerDelta.Plus[s], saved.Plus[s], box.Lower[l].Plus[s], box.Upper[l].Plus[s], move);
                    Transform(layerDelta.Minus[s], saved.Minus[s], box.Lower[l].Minus[s], box.Upper[l].Minus[s], move);
                }

                if (TryImprove())
                {
                    best.Layers[l].CopyTo(saved);
                }
                else
                {
                    saved.CopyTo(best.Layers[l]);
                }
            }
        }
    }

    // Phase 2 (run last): single devices in rank order, each tried at the bound it does not hold yet (either side), kept when
    // the exact forward improves; repeated sweeps until the budget is spent or a sweep changes nothing.
    private void DeviceSweeps(CancellationToken cancellationToken)
    {
        var byMagnitude = _magnitudes.OrderByDescending(x => x.Magnitude).Take(options.PolishCandidates).Select(x => (x.Layer, x.Slice, x.Plus, x.Index)).ToList();
        var changed = true;
        while (changed && BudgetLeft)
        {
            changed = false;
            foreach (var (l, s, plus, i) in byMagnitude)
            {
                var arr = Devices(l, s, plus);
                var lo = plus ? box.Lower[l].Plus[s][i] : box.Lower[l].Minus[s][i];
                var hi = plus ? box.Upper[l].Plus[s][i] : box.Upper[l].Minus[s][i];
                var old = arr[i];
                foreach (var target in (double[])[lo, 0, hi])
                {
                    if (target == old || target == arr[i] || !BudgetLeft)
                    {
                        continue;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    var previous = arr[i];
                    arr[i] = target;
                    if (TryImprove())
                    {
                        changed = true;
                    }
                    else
                    {
                        arr[i] = previous;
                    }
                }
            }
        }
    }

    // One exact forward of the current Δ; kept when it leaves fewer images correct (or as many at a lower objective).
    private bool TryImprove()
    {
        var trial = passes.Evaluate(best.ApplyTo(_mapped), kappa, upper);
        _evaluations++;
        if (trial.Correct < _correct || (trial.Correct == _correct && trial.Loss < _bestLoss))
        {
            _improved |= trial.Correct < _correct;
            _correct = trial.Correct;
            _bestLoss = trial.Loss;
            return true;
        }

        return false;
    }

    private double[] Devices(int layer, int slice, bool plus) => plus ? best.Layers[layer].Plus[slice] : best.Layers[layer].Minus[slice];

    private static void Transform(double[] d, double[] from, double[] lo, double[] hi, int move)
    {
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = move == 0 ? 0 : Math.Clamp(-from[i], lo[i], hi[i]);
        }
    }

    // Chain rule through the decode W = Σ c·(G⁺ − G⁻): ∂L/∂Δg = ±c·∂L/∂W, per device of every layer and slice.
    private void Rank(float[][] weightGradients)
    {
        for (var l = 0; l < _mapped.Layers.Count; l++)
        {
            var layer = _mapped.Layers[l];
            var gw = weightGradients[l];
            for (var s = 0; s < layer.SliceCount; s++)
            {
                var c = layer.Coefficients[s];
                Rank(l, s, true, best.Layers[l].Plus[s], box.Lower[l].Plus[s], box.Upper[l].Plus[s], c, gw, 1);
                Rank(l, s, false, best.Layers[l].Minus[s], box.Lower[l].Minus[s], box.Upper[l].Minus[s], c, gw, -1);
            }
        }
    }

    private void Rank(int l, int s, bool plus, double[] d, double[] lo, double[] hi, double[] c, float[] gw, int sign)
    {
        for (var i = 0; i < d.Length; i++)
        {
            var g = sign * c[i] * gw[i];
            if (hi[i] <= 0)
            {
                continue;
            }

            _magnitudes.Add((Math.Abs(g) * (hi[i] - lo[i]), l, s, plus, i));
            if (g == 0)
            {
                continue;
            }

            var target = g > 0 ? lo[i] : hi[i];
            var gain = Math.Abs(g) * Math.Abs(target - d[i]);
            if (gain > 0)
            {
                _candidates.Add((gain, l, s, plus, i, target));
            }
        }
    }
}
