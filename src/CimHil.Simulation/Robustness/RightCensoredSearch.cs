using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Robustness;

/// <summary>One evaluated candidate of the right-censored noise search.</summary>
/// <param name="SigmaRelative">Training σ relative to max|W|.</param>
/// <param name="ThresholdSigmas">Censoring threshold in units of the training σ.</param>
/// <param name="KthPercentileAccuracy">The objective: k-th percentile accuracy under the target variation.</param>
public sealed record RcnCandidate(double SigmaRelative, double ThresholdSigmas, double KthPercentileAccuracy)
{
    /// <summary>The noise this candidate trains with.</summary>
    public RightCensoredGaussianNoise Noise => new(SigmaRelative, RightCensoredSearch.Threshold(SigmaRelative, ThresholdSigmas));
}

/// <summary>Search grid and refinement for <see cref="RightCensoredSearch"/>.</summary>
public sealed record RcnSearchOptions
{
    /// <summary>Training σ candidates relative to max|W| (first round).</summary>
    public IReadOnlyList<double> SigmaRelative { get; init; } = [0.05, 0.1, 0.15, 0.2];

    /// <summary>Censoring-threshold candidates in units of σ (first round); +∞ is plain Gaussian noise injection.</summary>
    public IReadOnlyList<double> ThresholdSigmas { get; init; } = [0, 0.5, 1, 2, double.PositiveInfinity];

    /// <summary>Refinement rounds: each halves the grid spacing around the best candidate (finite coordinates only).</summary>
    public int RefinementRounds { get; init; } = 1;
}

/// <summary>Result of the search: every candidate evaluated and the best.</summary>
public sealed record RcnSearchResult(IReadOnlyList<RcnCandidate> Candidates, RcnCandidate Best);

/// <summary>
/// Automated choice of the right-censored noise's σ and threshold, aimed at the k-th percentile accuracy (KPP) under the
/// deployment variation, after Yan et al. (ICCAD 2023, arXiv 2307.15853): a coarse grid over (σ, t/σ), each candidate trained
/// and scored by its Monte-Carlo KPP, then a finer grid around the best. Training and scoring are supplied by the caller
/// (e.g. a short <see cref="Trainer"/> run with <see cref="NoiseInjectionTraining"/> and <see cref="KthPercentileAccuracy"/>).
/// </summary>
public static class RightCensoredSearch
{
    /// <summary>Runs the search; <paramref name="score"/> trains with the candidate's noise and returns its KPP.</summary>
    public static RcnSearchResult Run(RcnSearchOptions options, Func<RightCensoredGaussianNoise, double> score, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(score);
        if (options.SigmaRelative.Count == 0 || options.ThresholdSigmas.Count == 0)
        {
            throw new ArgumentException("the search grid needs at least one σ and one threshold", nameof(options));
        }

        var seen = new Dictionary<(double, double), RcnCandidate>();
        var sigmas = options.SigmaRelative.Order().ToArray();
        var thresholds = options.ThresholdSigmas.Order().ToArray();
        var best = Evaluate(sigmas, thresholds);
        for (var round = 0; round < options.RefinementRounds; round++)
        {
            var ds = Spacing(sigmas, best.SigmaRelative) / 2;
            var dt = Spacing(thresholds.Where(double.IsFinite).ToArray(), best.ThresholdSigmas) / 2;
            sigmas = Around(best.SigmaRelative, ds, 0);
            thresholds = double.IsFinite(best.ThresholdSigmas) ? Around(best.ThresholdSigmas, dt, double.NegativeInfinity) : [best.ThresholdSigmas];
            best = Evaluate(sigmas, thresholds);
        }

        return new RcnSearchResult(seen.Values.ToList(), best);

        RcnCandidate Evaluate(double[] ss, double[] ts)
        {
            foreach (var s in ss)
            {
                foreach (var t in ts)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!seen.ContainsKey((s, t)))
                    {
                        seen[(s, t)] = new RcnCandidate(s, t, score(new RightCensoredGaussianNoise(s, Threshold(s, t))));
                    }
                }
            }

            // Ties keep the first (smallest σ, then smallest threshold) so the result is deterministic.
            return seen.Values.OrderByDescending(c => c.KthPercentileAccuracy).ThenBy(c => c.SigmaRelative).ThenBy(c => c.ThresholdSigmas).First();
        }
    }

    /// <summary>The relative threshold t = (t/σ)·σ; +∞ stays +∞ even for σ = 0 (0·∞ would be NaN).</summary>
    public static double Threshold(double sigmaRelative, double thresholdSigmas) =>
        double.IsPositiveInfinity(thresholdSigmas) ? double.PositiveInfinity : sigmaRelative * thresholdSigmas;

    /// <summary>
    /// k-th percentile (k in [0, 100]) of the accuracy of <paramref name="network"/> on (input, labels) over
    /// <paramref name="samples"/> draws of <paramref name="variation"/>: the "realistic worst case" of Yan et al. (k = 1).
    /// Lower-nearest-rank percentile so that k = 0 is the minimum.
    /// </summary>
    public static double KthPercentileAccuracy(Network network, Tensor input, int[] labels, IWeightNoise variation, int samples, double k, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(variation);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        var accuracies = new double[samples];
        using (Tensor.NoGrad())
        {
            for (var s = 0; s < samples; s++)
            {
                var noise = variation.Sample(network, SimulationRng.Derive(unchecked((long)seed), s));
                var logits = network.Forward(input, ForwardContext.Inference with { Weights = NoiseInjectionTraining.Overrides(network, noise) });
                accuracies[s] = TrainingSteps.CountCorrect(logits, labels) / (double)labels.Length;
            }
        }

        return Percentile(accuracies, k);
    }

    /// <summary>Lower nearest-rank percentile: the value at index ⌊k/100·(n − 1)⌋ of the sorted sample.</summary>
    /// <remarks>
    /// Deliberately not <see cref="CimHil.Core.Numerics.OrderStatistics.Percentile"/> (type 7, interpolated): the search's
    /// KPP objective is an observed chip's accuracy, as in Yan et al., and trained candidates and their recorded
    /// rcn_search_kpp depend on it.
    /// </remarks>
    public static double Percentile(IReadOnlyList<double> values, double k)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            throw new ArgumentException("percentile of an empty sample", nameof(values));
        }

        if (!(k >= 0 && k <= 100))
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"percentile {k} must lie in [0, 100]");
        }

        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Floor(k / 100 * (sorted.Length - 1))];
    }

    private static double Spacing(double[] grid, double at)
    {
        var d = double.PositiveInfinity;
        foreach (var g in grid)
        {
            if (g != at && double.IsFinite(g))
            {
                d = Math.Min(d, Math.Abs(g - at));
            }
        }

        return double.IsFinite(d) ? d : Math.Max(Math.Abs(at), 1e-3);
    }

    private static double[] Around(double centre, double step, double floor) =>
        new[] { centre - step, centre, centre + step }.Where(x => x > floor).Distinct().ToArray();
}
