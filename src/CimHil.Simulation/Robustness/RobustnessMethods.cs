using System.Globalization;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using Serilog;

namespace CimHil.Simulation.Robustness;

/// <summary>
/// Parameters of the robustness training methods, shared by <c>cimhil train --method</c> and <c>cimhil study</c>.
/// σ and the threshold are relative to each layer's max|W| (the weight-domain convention of Yan et al.).
/// </summary>
public sealed record RobustnessSettings
{
    /// <summary>σ_rel of the injected noise (noise, rcn, atrice; biscale without <see cref="Variation"/>).</summary>
    public double SigmaRelative { get; init; } = 0.1;

    /// <summary>Right-censoring threshold in units of σ (t = ThresholdSigmas·σ_rel; +∞ = plain Gaussian) for rcn and atrice.</summary>
    public double ThresholdSigmas { get; init; } = 1;

    /// <summary>
    /// Weight λ of the Hessian-trace penalty (hessian). 1e-4: on LeNet-5 / Fashion-MNIST λ = 1e-3 drove training to chance
    /// accuracy within three epochs, 1e-4 and 1e-5 trained as well as standard training (docs/robustness.md §3).
    /// </summary>
    public double Lambda { get; init; } = 1e-4;

    /// <summary>Hutchinson probes per step (hessian).</summary>
    public int Probes { get; init; } = 1;

    /// <summary>Worst-case box multiplier k of the adversary (atrice).</summary>
    public double K { get; init; } = 1;

    /// <summary>Gradient steps of the adversary's search per training step (atrice); a short search keeps training affordable.</summary>
    public int AdversarySteps { get; init; } = 5;

    /// <summary>β, the weight of the adversarial loss against the noisy loss (atrice; 1: adversarial loss alone). docs/robustness.md §5.</summary>
    public double AdversaryWeight { get; init; } = 0.5;

    /// <summary>Epochs of right-censored noise training before the adversary joins (atrice).</summary>
    public int AdversaryWarmupEpochs { get; init; } = 1;

    /// <summary>
    /// Device variation the noise is drawn from (a <see cref="VariationSpec.Parse"/> string: calibration JSON path,
    /// "gaussian:σ", "gaussian-conductance:σ"); null: the weight-domain Gaussian of <see cref="SigmaRelative"/>. For
    /// atrice it sets the worst-case box (<see cref="DeviceBoundModel.Parse"/>).
    /// </summary>
    public string? Variation { get; init; }

    /// <summary>α_large/α_small of the bi-scale representation (biscale).</summary>
    public double BiScaleRatio { get; init; } = 8;

    /// <summary>Run the right-censored σ/threshold search (rcn) instead of using <see cref="SigmaRelative"/>/<see cref="ThresholdSigmas"/>.</summary>
    public bool RcnSearch { get; init; }

    /// <summary>Checks the ranges; messages name the setting, the value and the limit.</summary>
    public RobustnessSettings Validate()
    {
        Check(SigmaRelative >= 0 && double.IsFinite(SigmaRelative), nameof(SigmaRelative), $"σ_rel {SigmaRelative} must be a finite number ≥ 0");
        Check(!double.IsNaN(ThresholdSigmas) && ThresholdSigmas > double.NegativeInfinity, nameof(ThresholdSigmas), $"threshold {ThresholdSigmas} (in σ) must be a number or +∞");
        Check(Lambda >= 0 && double.IsFinite(Lambda), nameof(Lambda), $"λ {Lambda} must be a finite number ≥ 0");
        Check(Probes >= 1, nameof(Probes), $"probes {Probes} must be ≥ 1");
        Check(K >= 0 && double.IsFinite(K), nameof(K), $"k {K} must be a finite number ≥ 0");
        Check(AdversarySteps >= 1, nameof(AdversarySteps), $"adversary steps {AdversarySteps} must be ≥ 1");
        Check(AdversaryWeight > 0 && AdversaryWeight <= 1, nameof(AdversaryWeight), $"adversary weight β {AdversaryWeight} must be in (0, 1]");
        Check(AdversaryWarmupEpochs >= 0, nameof(AdversaryWarmupEpochs), $"adversary warm-up {AdversaryWarmupEpochs} epochs must be ≥ 0");
        Check(BiScaleRatio > 1 && double.IsFinite(BiScaleRatio), nameof(BiScaleRatio), $"bi-scale ratio {BiScaleRatio} must be a finite number > 1");
        return this;

        static void Check(bool ok, string name, string message)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(name, message);
            }
        }
    }
}

/// <summary>
/// The one place that turns a method name (standard, noise, rcn, hessian, biscale, atrice) and its settings into an
/// <see cref="ITrainingMethod"/>, the mapping the trained network is evaluated with, and the parameters recorded with it.
/// </summary>
/// <remarks>
/// biscale: Wan et al. (ACM JETC 2022) pair the bi-scale representation with training that sees the device noise. Here it
/// is noise-injection training whose noise is the device noise of the <em>bi-scale mapping</em> (<see cref="DeviceModelWeightNoise"/>
/// over a <see cref="WeightRepresentation.BiScale"/> mapping; without a variation spec the conductance-domain Gaussian
/// σ_rel·(Gmax − Gmin), the additive device noise the representation is designed against), and its evaluation mapping is
/// bi-scale. All other methods are evaluated with the configured mapping unchanged.
/// </remarks>
public static class RobustnessMethods
{
    /// <summary>Plain cross-entropy training.</summary>
    public const string Standard = "standard";

    /// <summary>Noise-injection training (Gaussian or device model).</summary>
    public const string Noise = "noise";

    /// <summary>Right-censored Gaussian noise injection (Yan et al., ICCAD 2023).</summary>
    public const string Rcn = "rcn";

    /// <summary>Hessian-trace-penalised training (Wan et al.).</summary>
    public const string Hessian = "hessian";

    /// <summary>Bi-scale representation with noise-aware training (Wan et al.).</summary>
    public const string BiScale = "biscale";

    /// <summary>Adversarial weight perturbation + right-censored noise (A-TRICE style).</summary>
    public const string Atrice = "atrice";

    /// <summary>All method names, in study order.</summary>
    public static IReadOnlyList<string> Names { get; } = [Standard, Noise, Rcn, Hessian, BiScale, Atrice];

    /// <summary>Returns the canonical (lower-case) name, or throws <see cref="ArgumentException"/> naming the known ones.</summary>
    public static string Canonical(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var lower = name.Trim().ToLowerInvariant();
        return Names.Contains(lower)
            ? lower
            : throw new ArgumentException($"training method '{name}' is unknown; known methods: {string.Join(", ", Names)}", nameof(name));
    }

    /// <summary>The mapping a network trained with <paramref name="method"/> is evaluated (and, for biscale, trained) with.</summary>
    public static CimMappingOptions EvaluationMapping(string method, RobustnessSettings settings, CimMappingOptions mapping)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(mapping);
        return Canonical(method) == BiScale
            ? mapping with { Representation = WeightRepresentation.BiScale, BiScaleRatio = settings.BiScaleRatio }
            : mapping;
    }

    /// <summary>
    /// The training method for <paramref name="method"/>. For rcn this uses the settings' σ and threshold (run
    /// <see cref="SearchRcn"/> first and pass its best candidate through <see cref="WithRcn"/> for the searched variant).
    /// </summary>
    public static ITrainingMethod Create(string method, RobustnessSettings settings, CimMappingOptions mapping, long seed, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(logger);
        settings.Validate();
        return Canonical(method) switch
        {
            Standard => new StandardTraining(),
            Noise => new NoiseInjectionTraining(NoiseOf(settings, mapping), Noise),
            Rcn => new NoiseInjectionTraining(RcnNoise(settings), Rcn),
            Hessian => new HessianAwareTraining(settings.Lambda, settings.Probes),
            BiScale => new NoiseInjectionTraining(BiScaleNoise(settings, mapping), BiScale),
            _ => new AdversarialRcnTraining(
                DeviceBoundModel.Parse(settings.Variation ?? Gaussian(settings.SigmaRelative)),
                settings.K,
                mapping,
                WorstCaseOptions.Default with { Steps = settings.AdversarySteps, Restarts = 0, PolishEvaluations = 0, Seed = seed },
                RcnNoise(settings),
                logger,
                settings.AdversaryWeight,
                settings.AdversaryWarmupEpochs),
        };
    }

    /// <summary>The settings with σ and threshold of a searched right-censored candidate (search switched off).</summary>
    public static RobustnessSettings WithRcn(RobustnessSettings settings, RcnCandidate best)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(best);
        return settings with { SigmaRelative = best.SigmaRelative, ThresholdSigmas = best.ThresholdSigmas, RcnSearch = false };
    }

    /// <summary>
    /// The right-censored search of Yan et al. (ICCAD 2023) aimed at the <paramref name="percentile"/>-th percentile accuracy:
    /// each candidate is trained by <paramref name="train"/> and scored by its Monte-Carlo KPP under <paramref name="target"/>
    /// on (input, labels) with <paramref name="samples"/> draws.
    /// </summary>
    public static RcnSearchResult SearchRcn(
        RcnSearchOptions options,
        Func<ITrainingMethod, Network> train,
        Tensor input,
        int[] labels,
        IWeightNoise target,
        int samples,
        double percentile,
        ulong seed,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(target);
        return RightCensoredSearch.Run(
            options,
            noise => RightCensoredSearch.KthPercentileAccuracy(train(new NoiseInjectionTraining(noise, Rcn)), input, labels, target, samples, percentile, seed),
            cancellationToken);
    }

    /// <summary>The variation a method's robustness is aimed at: the settings' variation spec as weight noise, else the Gaussian.</summary>
    public static IWeightNoise TargetNoise(RobustnessSettings settings, CimMappingOptions mapping)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return NoiseOf(settings, mapping);
    }

    /// <summary>The parameters that define a trained model of <paramref name="method"/> (checkpoint metadata, study cache key).</summary>
    public static IReadOnlyDictionary<string, string> Parameters(string method, RobustnessSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var name = Canonical(method);
        var p = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["method"] = name };
        switch (name)
        {
            case Noise:
                AddNoise(p, settings);
                break;
            case Rcn:
                p["sigma_rel"] = F(settings.SigmaRelative);
                p["threshold_sigmas"] = F(settings.ThresholdSigmas);
                p["rcn_search"] = settings.RcnSearch ? "true" : "false";
                break;
            case Hessian:
                p["lambda"] = F(settings.Lambda);
                p["probes"] = F(settings.Probes);
                break;
            case BiScale:
                AddNoise(p, settings);
                p["biscale_ratio"] = F(settings.BiScaleRatio);
                break;
            case Atrice:
                p["sigma_rel"] = F(settings.SigmaRelative);
                p["threshold_sigmas"] = F(settings.ThresholdSigmas);
                p["k"] = F(settings.K);
                p["adversary_steps"] = F(settings.AdversarySteps);
                p["adversary_weight"] = F(settings.AdversaryWeight);
                p["adversary_warmup_epochs"] = F(settings.AdversaryWarmupEpochs);
                p["variation"] = settings.Variation ?? Gaussian(settings.SigmaRelative);
                break;
            default:
                break;
        }

        return p;

        static void AddNoise(SortedDictionary<string, string> p, RobustnessSettings s)
        {
            if (s.Variation is { } v)
            {
                p["variation"] = v;
            }
            else
            {
                p["sigma_rel"] = F(s.SigmaRelative);
            }
        }
    }

    private static IWeightNoise NoiseOf(RobustnessSettings s, CimMappingOptions mapping) =>
        s.Variation is { } v ? new DeviceModelWeightNoise(VariationSpec.Parse(v), mapping) : new GaussianWeightNoise(s.SigmaRelative);

    private static IWeightNoise BiScaleNoise(RobustnessSettings s, CimMappingOptions mapping)
    {
        var biScale = mapping with { Representation = WeightRepresentation.BiScale, BiScaleRatio = s.BiScaleRatio };
        var spec = s.Variation is { } v
            ? VariationSpec.Parse(v)
            : new VariationSpec { Noise = new GaussianNoiseModel(s.SigmaRelative, GaussianDomain.Conductance) };
        return new DeviceModelWeightNoise(spec, biScale);
    }

    private static RightCensoredGaussianNoise RcnNoise(RobustnessSettings s) =>
        new(s.SigmaRelative, RightCensoredSearch.Threshold(s.SigmaRelative, s.ThresholdSigmas));

    private static string Gaussian(double sigma) => "gaussian:" + F(sigma);

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
