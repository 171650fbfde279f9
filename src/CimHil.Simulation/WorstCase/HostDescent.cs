using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.WorstCase;

/// <summary>
/// The CPU's descent of one start (<see cref="IWorstCaseDescent"/>): Δ and Adam's moments in host arrays, every pass through
/// <paramref name="passes"/> (the CPU's forward or a GPU's), ∂L/∂W back per step; with converters each step's accuracy and
/// objective are the exact tiled forward's.
/// </summary>
internal sealed class HostDescent(MappedForward forward, IWorstCasePasses passes) : IWorstCaseDescent
{
    public DescentResult Descend(DescentRequest request, CancellationToken cancellationToken)
    {
        var mapped = forward.Mapped;
        var options = request.Options;
        var current = request.Start;
        var upper = double.PositiveInfinity;
        var startCorrect = int.MaxValue;
        var startLoss = double.PositiveInfinity;
        int gradientPasses = 0, forwardPasses = 0;
        var adam = options.StepRule == WorstCaseStepRule.Adam ? new AdamState(mapped) : null;
        for (var step = 0; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var conductances = current.ApplyTo(mapped);
            var outcome = passes.Gradient(conductances, request.Kappa, upper);
            gradientPasses++;
            var correct = outcome.Correct;
            var loss = outcome.Loss;
            if (forward.HasConverters)
            {
                var exact = forward.Evaluate(conductances, request.Kappa, upper);
                forwardPasses++;
                correct = exact.Correct;
                loss = exact.Loss;
            }

            request.OnStep?.Invoke(step, correct, loss);
            if (DescentStep.Improves(correct, loss, startCorrect, startLoss))
            {
                startCorrect = correct;
                startLoss = loss;
                current.CopyTo(request.Best);
            }

            if (step == options.Steps)
            {
                break;
            }

            Update(request.Box, current, outcome.WeightGradients!, DescentStep.Eta(options, step), adam, step + 1);
            request.Box.Project(current);
            upper = FocusClip(outcome.Margins, DescentStep.Focus(options, request.StartIndex));
        }

        return new DescentResult(startCorrect, startLoss, upper, gradientPasses, forwardPasses);
    }

    private static double FocusClip(float[] margins, double focus)
    {
        if (focus >= 1)
        {
            return double.PositiveInfinity;
        }

        var positive = margins.Where(m => m > 0).ToArray();
        if (positive.Length == 0)
        {
            return double.PositiveInfinity;
        }

        Array.Sort(positive);
        return positive[DescentStep.FocusRank(focus, positive.Length)];
    }

    private void Update(PerturbationBox box, ConductancePerturbation delta, float[][] weightGradients, double eta, AdamState? adam, int t)
    {
        var mapped = forward.Mapped;
        for (var l = 0; l < mapped.Layers.Count; l++)
        {
            var layer = mapped.Layers[l];
            var gw = weightGradients[l];
            for (var s = 0; s < layer.SliceCount; s++)
            {
                var c = layer.Coefficients[s];
                Move(delta.Layers[l].Plus[s], box.Upper[l].Plus[s], c, gw, 1, adam?.M[l].Plus[s], adam?.V[l].Plus[s]);
                Move(delta.Layers[l].Minus[s], box.Upper[l].Minus[s], c, gw, -1, adam?.M[l].Minus[s], adam?.V[l].Minus[s]);
            }
        }

        void Move(double[] d, double[] half, double[] c, float[] gw, int sign, double[]? m, double[]? v)
        {
            for (var i = 0; i < d.Length; i++)
            {
                var h = half[i];
                if (h <= 0)
                {
                    continue;
                }

                // Chain rule through the decode W = Σ c·(G⁺ − G⁻): ∂L/∂Δg = ±c·∂L/∂W.
                var g = sign * c[i] * gw[i];
                if (adam is null)
                {
                    d[i] -= eta * h * Math.Sign(g);
                }
                else
                {
                    // Adam on u = Δ/h, so the learning rate is in units of the box half-width (Kingma & Ba, Algorithm 1).
                    var gu = g * h;
                    m![i] = (AdamState.Beta1 * m[i]) + ((1 - AdamState.Beta1) * gu);
                    v![i] = (AdamState.Beta2 * v[i]) + ((1 - AdamState.Beta2) * gu * gu);
                    var mh = m[i] / (1 - Math.Pow(AdamState.Beta1, t));
                    var vh = v[i] / (1 - Math.Pow(AdamState.Beta2, t));
                    d[i] -= eta * h * mh / (Math.Sqrt(vh) + AdamState.Epsilon);
                }
            }
        }
    }
}
