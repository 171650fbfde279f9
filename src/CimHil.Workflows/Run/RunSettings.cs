namespace CimHil.Workflows;

/// <summary>The <c>run</c> section of hil-config.json: what the main pipeline does and how much of it.</summary>
public sealed record RunSettings
{
    /// <summary>The run's Monte-Carlo and worst-case defaults: the whole test set for the average, 2000 images for the search.</summary>
    public static EvaluationSettings EvaluationDefaults { get; } = new()
    {
        MonteCarloChips = 100,
        MonteCarloImages = 10_000,
        Percentile = 1,
        WorstCaseKs = [0, 0.5, 1, 2, 3],
        WorstCaseImages = 2000,
        WorstCaseMethod = "default",
    };

    /// <summary>Where run folders are created (runs/&lt;timestamp&gt;).</summary>
    public required string OutputRoot { get; init; }

    /// <summary>Characterisation plan; null picks plans/default-&lt;technology&gt;.json.</summary>
    public string? Plan { get; init; }

    /// <summary>The trained model; trained first (and kept at this path) when the file does not exist.</summary>
    public required string Model { get; init; }

    /// <summary>Epochs when the model has to be trained first.</summary>
    public required int TrainEpochs { get; init; }

    /// <summary>How the model is judged (the <c>monteCarlo</c> and <c>worstCase</c> sections).</summary>
    public required EvaluationSettings Evaluation { get; init; }

    /// <summary>Bootstrap resamples of the calibration fit.</summary>
    public required int BootstrapSamples { get; init; }

    /// <summary>One seed for training, calibration, Monte-Carlo and worst case.</summary>
    public required int Seed { get; init; }

    /// <summary>Open the report in headless Chromium, check it and keep a screenshot with the run.</summary>
    public required bool Screenshot { get; init; }

    /// <summary>
    /// A measurement store (imported with <c>cimhil import</c>, or an earlier characterisation's) to run from instead of
    /// characterising a chip: no bench is opened (<c>run.fromStore</c>, <c>--from-store</c>); null characterises.
    /// </summary>
    public string? FromStore { get; init; }

    /// <summary>Parses the section; errors carry the JSON path.</summary>
    public static RunSettings Parse(JsonSection s)
    {
        ArgumentNullException.ThrowIfNull(s);
        s.AllowOnly("outputRoot", "plan", "model", "trainEpochs", "monteCarlo", "worstCase", "calibration", "seed", "screenshot", "fromStore");
        var evaluation = EvaluationSettings.Parse(s, EvaluationDefaults, distinctKs: false);
        var cal = s.SectionOrEmpty("calibration").AllowOnly("bootstrapSamples");
        return new RunSettings
        {
            OutputRoot = s.String("outputRoot", "runs"),
            Plan = s.OptionalString("plan"),
            Model = s.String("model", "models/lenet5-fmnist.safetensors"),
            TrainEpochs = s.Int("trainEpochs", 8, 1, 1000),
            Evaluation = evaluation,
            BootstrapSamples = cal.Int("bootstrapSamples", 200, 10, 100_000),
            Seed = s.Int("seed", 1, 0, null),
            Screenshot = s.Bool("screenshot", true),
            FromStore = s.OptionalString("fromStore"),
        };
    }
}
