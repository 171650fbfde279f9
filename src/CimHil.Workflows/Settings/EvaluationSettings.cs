namespace CimHil.Workflows;

/// <summary>
/// How a trained model is judged, shared by <c>run</c> and <c>study</c>: the <c>monteCarlo</c> and <c>worstCase</c> sections
/// of their hil-config.json sections (each workflow has its own defaults, sized to its job).
/// </summary>
public sealed record EvaluationSettings
{
    /// <summary>Simulated chips of the Monte-Carlo evaluation (≥ 2, for a standard deviation).</summary>
    public required int MonteCarloChips { get; init; }

    /// <summary>First N test images of the Monte-Carlo evaluation.</summary>
    public required int MonteCarloImages { get; init; }

    /// <summary>The k of the k-th percentile accuracy over chips.</summary>
    public required double Percentile { get; init; }

    /// <summary>Worst-case bounds k (box ±k·σ per device), ascending.</summary>
    public required IReadOnlyList<double> WorstCaseKs { get; init; }

    /// <summary>First N test images of the worst-case search.</summary>
    public required int WorstCaseImages { get; init; }

    /// <summary>Worst-case search preset: "default" or "paper".</summary>
    public required string WorstCaseMethod { get; init; }

    /// <summary>The Monte-Carlo options for chip seed <paramref name="seed"/>.</summary>
    public MonteCarloOptions MonteCarloOptions(long seed) => new() { Chips = MonteCarloChips, Percentile = Percentile, Seed = seed };

    /// <summary>
    /// Reads the <c>monteCarlo</c> (chips, images, percentile) and <c>worstCase</c> (ks, images, method) sections of a
    /// workflow's section <paramref name="workflow"/> over <paramref name="defaults"/>. Errors carry the JSON path.
    /// </summary>
    /// <param name="distinctKs">Drop repeated bounds (study); run keeps them as written, sorted.</param>
    /// <param name="moreWorstCaseKeys">Keys of <c>worstCase</c> the workflow reads itself (study: steps, restarts).</param>
    public static EvaluationSettings Parse(JsonSection workflow, EvaluationSettings defaults, bool distinctKs, params string[] moreWorstCaseKeys)
    {
        ArgumentNullException.ThrowIfNull(workflow);
        ArgumentNullException.ThrowIfNull(defaults);
        var monteCarlo = workflow.SectionOrEmpty("monteCarlo").AllowOnly("chips", "images", "percentile");
        var worstCase = workflow.SectionOrEmpty("worstCase").AllowOnly(["ks", "images", "method", .. moreWorstCaseKeys]);
        var ks = worstCase.Has("ks") ? worstCase.Doubles("ks", 1) : defaults.WorstCaseKs;
        for (var i = 0; i < ks.Count; i++)
        {
            if (!(ks[i] >= 0 && ks[i] <= WorkflowLimits.MaxWorstCaseK))
            {
                throw new ConfigException($"{worstCase.PathOf("ks")}[{i}]", $"{ks[i]} must be between 0 and {WorkflowLimits.MaxWorstCaseK}");
            }
        }

        var method = worstCase.String("method", defaults.WorstCaseMethod);
        if (method is not ("default" or "paper"))
        {
            throw worstCase.Error("method", $"'{method}' is not a worst-case method; use default or paper");
        }

        return new EvaluationSettings
        {
            MonteCarloChips = monteCarlo.Int("chips", defaults.MonteCarloChips, 2, 1_000_000),
            MonteCarloImages = monteCarlo.Int("images", defaults.MonteCarloImages, 1, 10_000),
            Percentile = monteCarlo.Double("percentile", defaults.Percentile, 0, 100),
            WorstCaseKs = distinctKs ? [.. ks.Distinct().Order()] : [.. ks.Order()],
            WorstCaseImages = worstCase.Int("images", defaults.WorstCaseImages, 1, 10_000),
            WorstCaseMethod = method,
        };
    }
}
