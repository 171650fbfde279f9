using System.Globalization;
using System.Text.Json.Serialization;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;

namespace CimHil.Workflows;


/// <summary>
/// The <c>study</c> section of hil-config.json: which robustness methods <c>cimhil study</c> trains and how hard it judges
/// them. Defaults are sized so the six-method study finishes well within an hour on 2 cores (docs/robustness.md §6).
/// </summary>
public sealed record StudySettings
{
    /// <summary>The study's Monte-Carlo and worst-case defaults: fewer images than a run, since every method is judged twice.</summary>
    public static EvaluationSettings EvaluationDefaults { get; } = new()
    {
        MonteCarloChips = 100,
        MonteCarloImages = 2000,
        Percentile = 1,
        WorstCaseKs = [1, 2, 3],
        WorstCaseImages = 200,
        WorstCaseMethod = "default",
    };

    /// <summary>5000 of Fashion-MNIST's 60 000 training images, the size of the usual held-out split.</summary>
    public const double DefaultValidationFraction = 1.0 / 12;

    /// <summary>
    /// Default early-stopping patience (docs/robustness.md §8): 3 of a 10-epoch cosine budget, so one noisy validation
    /// epoch late in the schedule does not end a training that is still improving.
    /// </summary>
    public const int DefaultPatience = 3;

    /// <summary>
    /// Default epoch budget (docs/robustness.md §6, §8): the 4-epoch cosine budget left standard LeNet-5 at 87.67 % on the
    /// full test set, below the 89.74 % of `cimhil train`'s 8-epoch model; a 15-epoch cosine run passes it from epoch 10, and
    /// annealing within a shorter budget gained only ≈ 0.3 points at epoch 4 — hence 10. Costs ≈ 2 h for three seeds.
    /// </summary>
    public const int DefaultEpochs = 10;

    /// <summary>Where study folders are created (&lt;root&gt;/&lt;UTC timestamp&gt;, the run-folder convention).</summary>
    public required string OutputRoot { get; init; }

    /// <summary>Where trained models are cached across studies; null: &lt;outputRoot&gt;/study-models.</summary>
    public string? ModelCache { get; init; }

    /// <summary>The effective model cache folder.</summary>
    public string ModelCacheFolder => ModelCache ?? Path.Combine(OutputRoot, "study-models");

    /// <summary>Methods in table order (<see cref="RobustnessMethods.Names"/>).</summary>
    public required IReadOnlyList<string> Methods { get; init; }

    /// <summary>Architecture from the model zoo.</summary>
    public required string Model { get; init; }

    /// <summary>Epoch budget of each training (early stopping may end it sooner; the cosine schedule spans it).</summary>
    public required int Epochs { get; init; }

    /// <summary>Fraction of the training samples held out as the validation set (0: none, train all epochs, keep the last).</summary>
    public double ValidationFraction { get; init; } = DefaultValidationFraction;

    /// <summary>Early-stopping patience in epochs (0: run the whole budget, still keep the best validation epoch).</summary>
    public int Patience { get; init; } = DefaultPatience;

    /// <summary>Learning-rate schedule over <see cref="Epochs"/>.</summary>
    public LearningRateSchedule Schedule { get; init; } = LearningRateSchedule.Cosine;

    /// <summary>Use only the first N training samples; null: all 60 000.</summary>
    public int? TrainSamples { get; init; }

    public required int BatchSize { get; init; }

    public required float LearningRate { get; init; }

    /// <summary>Calibrated device model (calibration JSON) — the first variation model of the study.</summary>
    public required string DeviceModel { get; init; }

    /// <summary>The plain Gaussian model as a <see cref="VariationSpec.Parse"/> string ("gaussian:σ" or "gaussian-conductance:σ").</summary>
    public required string GaussianModel { get; init; }

    /// <summary>
    /// How each method is judged (the <c>monteCarlo</c> and <c>worstCase</c> sections, as the run has them); the Monte-Carlo
    /// images also give the float accuracy. study.json keeps these settings flat, through the read-only views below.
    /// </summary>
    [JsonIgnore]
    public EvaluationSettings Evaluation { get; init; } = EvaluationDefaults;

    // study.json has held these flat since the first study: views of Evaluation, so the values exist once. They are
    // init-able so that a study.json read back (a Slurm shard's, for the merge) keeps its evaluation settings instead
    // of the defaults.
    public int MonteCarloChips { get => Evaluation.MonteCarloChips; init => Evaluation = Evaluation with { MonteCarloChips = value }; }

    public int MonteCarloImages { get => Evaluation.MonteCarloImages; init => Evaluation = Evaluation with { MonteCarloImages = value }; }

    public double Percentile { get => Evaluation.Percentile; init => Evaluation = Evaluation with { Percentile = value }; }

    public IReadOnlyList<double> WorstCaseKs { get => Evaluation.WorstCaseKs; init => Evaluation = Evaluation with { WorstCaseKs = value }; }

    public int WorstCaseImages { get => Evaluation.WorstCaseImages; init => Evaluation = Evaluation with { WorstCaseImages = value }; }

    /// <summary>Worst-case search preset ("default" or "paper"), then the step and restart overrides below.</summary>
    public string WorstCaseMethod { get => Evaluation.WorstCaseMethod; init => Evaluation = Evaluation with { WorstCaseMethod = value }; }

    public required int WorstCaseSteps { get; init; }

    public required int WorstCaseRestarts { get; init; }

    public required StudySeeds Seeds { get; init; }

    /// <summary>Method parameters (σ, threshold, λ, k, …) shared by all methods.</summary>
    public required RobustnessSettings Parameters { get; init; }

    /// <summary>The right-censored search (used when <see cref="RobustnessSettings.RcnSearch"/> is on).</summary>
    public required RcnSearchSettings RcnSearch { get; init; }

    /// <summary>Parses the section; errors carry the JSON path.</summary>
    public static StudySettings Parse(JsonSection s)
    {
        ArgumentNullException.ThrowIfNull(s);
        s.AllowOnly("outputRoot", "modelCache", "methods", "model", "epochs", "validationFraction", "patience", "schedule", "trainSamples", "batchSize", "learningRate", "deviceModel", "gaussianModel", "monteCarlo", "worstCase", "seeds", "parameters", "rcnSearch");
        var seeds = s.SectionOrEmpty("seeds").AllowOnly("train", "monteCarlo", "worstCase");
        var trainSeeds = StudySeeds.ParseTrain(seeds);
        var p = s.SectionOrEmpty("parameters").AllowOnly("sigmaRelative", "thresholdSigmas", "lambda", "probes", "k", "adversarySteps", "adversaryWeight", "adversaryWarmupEpochs", "variation", "biScaleRatio", "rcnSearch");
        var rcn = s.SectionOrEmpty("rcnSearch").AllowOnly("sigmas", "thresholdSigmas", "refinementRounds", "samples", "holdOut");

        var methods = new List<string>();
        if (s.Has("methods"))
        {
            var names = s.Strings("methods");
            for (var i = 0; i < names.Count; i++)
            {
                try
                {
                    var name = RobustnessMethods.Canonical(names[i]);
                    methods.Add(!methods.Contains(name) ? name : throw new ConfigException($"{s.PathOf("methods")}[{i}]", $"'{name}' is listed twice"));
                }
                catch (ArgumentException ex)
                {
                    throw new ConfigException($"{s.PathOf("methods")}[{i}]", ex.Message);
                }
            }

            if (methods.Count == 0)
            {
                throw s.Error("methods", "needs at least one method");
            }
        }
        else
        {
            methods.AddRange(RobustnessMethods.Names);
        }

        var model = s.String("model", ModelZoo.LeNet5);
        if (!ModelZoo.Names.Contains(model) && !(Simulation.Onnx.OnnxImporter.IsOnnxPath(model) && File.Exists(model)))
        {
            throw s.Error("model", Simulation.Onnx.OnnxImporter.IsOnnxPath(model)
                ? $"ONNX model '{model}' does not exist"
                : $"'{model}' is neither a built-in model ({string.Join(", ", ModelZoo.Names)}) nor an .onnx file");
        }

        var gaussian = s.String("gaussianModel", "gaussian:0.1");
        try
        {
            if (VariationSpec.Parse(gaussian).Gaussian is null)
            {
                throw s.Error("gaussianModel", $"'{gaussian}' is not a Gaussian model; use gaussian:σ or gaussian-conductance:σ");
            }
        }
        catch (ConfigException ex) when (ex.JsonPath.Length == 0)
        {
            throw s.Error("gaussianModel", ex.Message);
        }

        var evaluation = EvaluationSettings.Parse(s, EvaluationDefaults, distinctKs: true, "steps", "restarts");
        var wc = s.SectionOrEmpty("worstCase");
        var parameters = new RobustnessSettings
        {
            SigmaRelative = p.Double("sigmaRelative", 0.1, 0, 10),
            ThresholdSigmas = p.Has("thresholdSigmas") ? Threshold(p, "thresholdSigmas") : 1,
            Lambda = p.Double("lambda", 1e-4, 0, null),
            Probes = p.Int("probes", 1, 1, 64),
            K = p.Double("k", 1, 0, 100),
            AdversarySteps = p.Int("adversarySteps", 3, 1, 1000),
            AdversaryWeight = p.Double("adversaryWeight", 0.5, 1e-6, 1),
            AdversaryWarmupEpochs = p.Int("adversaryWarmupEpochs", 1, 0, 1000),
            Variation = p.OptionalString("variation"),
            BiScaleRatio = p.Has("biScaleRatio") ? p.Positive("biScaleRatio") : 8,
            RcnSearch = p.Bool("rcnSearch", false),
        };
        if (!(parameters.BiScaleRatio > 1))
        {
            throw p.Error("biScaleRatio", $"bi-scale ratio {parameters.BiScaleRatio} must be greater than 1");
        }

        var grid = new RcnSearchOptions();
        var search = new RcnSearchSettings
        {
            Grid = new RcnSearchOptions
            {
                SigmaRelative = rcn.Has("sigmas") ? rcn.Doubles("sigmas", 1) : grid.SigmaRelative,
                ThresholdSigmas = rcn.Has("thresholdSigmas") ? Thresholds(rcn, "thresholdSigmas") : grid.ThresholdSigmas,
                RefinementRounds = rcn.Int("refinementRounds", grid.RefinementRounds, 0, 10),
            },
            Samples = rcn.Int("samples", 20, 1, 10_000),
            HoldOut = rcn.Int("holdOut", 1000, 1, 60_000),
        };

        var root = s.String("outputRoot", "runs");
        return new StudySettings
        {
            OutputRoot = root,
            ModelCache = s.OptionalString("modelCache"),
            Methods = methods,
            Model = model,
            Epochs = s.Int("epochs", DefaultEpochs, 1, 1000),
            ValidationFraction = s.Double("validationFraction", DefaultValidationFraction, 0, 0.5),
            Patience = s.Int("patience", DefaultPatience, 0, 1000),
            Schedule = s.String("schedule", "cosine") switch
            {
                "cosine" => LearningRateSchedule.Cosine,
                "constant" => LearningRateSchedule.Constant,
                var other => throw s.Error("schedule", $"'{other}' is not a schedule; use \"cosine\" or \"constant\""),
            },
            TrainSamples = s.Has("trainSamples") ? s.Int("trainSamples", 1, 60_000) : null,
            BatchSize = s.Int("batchSize", 64, 1, 60_000),
            LearningRate = (float)s.Double("learningRate", 1e-3, 1e-9, 10),
            DeviceModel = s.String("deviceModel", "calibration/emulator-rram.json"),
            GaussianModel = gaussian,
            Evaluation = evaluation,
            WorstCaseSteps = wc.Int("steps", 10, 1, 10_000),
            WorstCaseRestarts = wc.Int("restarts", 0, 0, 100),
            Seeds = new StudySeeds(trainSeeds, seeds.Long("monteCarlo", 1), seeds.Long("worstCase", 1)),
            Parameters = parameters,
            RcnSearch = search,
        };
    }

    private static double Threshold(JsonSection s, string name)
    {
        if (s.Element.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String)
        {
            var text = v.GetString()!;
            return text.Equals("inf", StringComparison.OrdinalIgnoreCase)
                ? double.PositiveInfinity
                : throw s.Error(name, $"'{text}' is not a threshold; use a number (in σ) or \"inf\"");
        }

        return s.Double(name);
    }

    private static double[] Thresholds(JsonSection s, string name)
    {
        if (!s.Element.TryGetProperty(name, out var v) || v.ValueKind != System.Text.Json.JsonValueKind.Array || v.GetArrayLength() == 0)
        {
            throw s.Error(name, "expected a non-empty array of numbers (in σ) or \"inf\"");
        }

        var list = new List<double>();
        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            list.Add(item.ValueKind switch
            {
                System.Text.Json.JsonValueKind.Number => item.GetDouble(),
                System.Text.Json.JsonValueKind.String when item.GetString()!.Equals("inf", StringComparison.OrdinalIgnoreCase) => double.PositiveInfinity,
                _ => throw new ConfigException($"{s.PathOf(name)}[{i}]", $"expected a number (in σ) or \"inf\", found {item.ToString().ToString(CultureInfo.InvariantCulture)}"),
            });
            i++;
        }

        return [.. list];
    }
}
