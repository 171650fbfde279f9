using CimHil.Core.Config;

namespace CimHil.Cli.Pipeline;

/// <summary>The <c>run</c> section of hil-config.json: what the main pipeline does and how much of it.</summary>
public sealed record RunSettings
{
    /// <summary>Where run folders are created (runs/&lt;timestamp&gt;).</summary>
    public required string OutputRoot { get; init; }

    /// <summary>Characterisation plan; null picks plans/default-&lt;technology&gt;.json.</summary>
    public string? Plan { get; init; }

    /// <summary>The trained model; trained first (and kept at this path) when the file does not exist.</summary>
    public required string Model { get; init; }

    public required int TrainEpochs { get; init; }

    public required int MonteCarloChips { get; init; }

    public required int MonteCarloImages { get; init; }

    public required double Percentile { get; init; }

    public required IReadOnlyList<double> WorstCaseKs { get; init; }

    public required int WorstCaseImages { get; init; }

    public required string WorstCaseMethod { get; init; }

    public required int BootstrapSamples { get; init; }

    public required int Seed { get; init; }

    /// <summary>Open the report in headless Chromium, check it and keep a screenshot with the run.</summary>
    public required bool Screenshot { get; init; }

    public static RunSettings Parse(JsonSection s)
    {
        s.AllowOnly("outputRoot", "plan", "model", "trainEpochs", "monteCarlo", "worstCase", "calibration", "seed", "screenshot");
        var mc = s.SectionOrEmpty("monteCarlo").AllowOnly("chips", "images", "percentile");
        var wc = s.SectionOrEmpty("worstCase").AllowOnly("ks", "images", "method");
        var cal = s.SectionOrEmpty("calibration").AllowOnly("bootstrapSamples");
        var ks = wc.Has("ks") ? wc.Doubles("ks", 1) : [0, 0.5, 1, 2, 3];
        for (var i = 0; i < ks.Count; i++)
        {
            if (!(ks[i] >= 0 && ks[i] <= Commands.CliLimits.MaxWorstCaseK))
            {
                throw new ConfigException($"{wc.PathOf("ks")}[{i}]", $"{ks[i]} must be between 0 and {Commands.CliLimits.MaxWorstCaseK}");
            }
        }

        var method = wc.String("method", "default");
        if (method is not ("default" or "paper"))
        {
            throw wc.Error("method", $"'{method}' is not a worst-case method; use default or paper");
        }

        return new RunSettings
        {
            OutputRoot = s.String("outputRoot", "runs"),
            Plan = s.OptionalString("plan"),
            Model = s.String("model", "models/lenet5-fmnist.safetensors"),
            TrainEpochs = s.Int("trainEpochs", 8, 1, 1000),
            MonteCarloChips = mc.Int("chips", 100, 2, 1_000_000),
            MonteCarloImages = mc.Int("images", 10_000, 1, 10_000),
            Percentile = mc.Double("percentile", 1, 0, 100),
            WorstCaseKs = [.. ks.Order()],
            WorstCaseImages = wc.Int("images", 2000, 1, 10_000),
            WorstCaseMethod = method,
            BootstrapSamples = cal.Int("bootstrapSamples", 200, 10, 100_000),
            Seed = s.Int("seed", 1, 0, null),
            Screenshot = s.Bool("screenshot", true),
        };
    }
}
