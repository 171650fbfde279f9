using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace CimHil.Cli.Commands;

/// <summary>
/// The largest values the numeric options accept (docs/cli.md, "Limits"), and the validators that refuse anything
/// outside them at parse time (exit 2). Each maximum is far above what a study needs and far below what would exhaust
/// memory or run for days: `--chips 2147483647` allocates a result per chip before the first one runs.
/// </summary>
public static class CliLimits
{
    /// <summary>Monte-Carlo chips (evaluate, study, worst-case --mc-chips): the ceiling of hil-config.json's monteCarlo.chips.</summary>
    public const int MaxChips = 1_000_000;

    /// <summary>Test images: the Fashion-MNIST test split has 10 000.</summary>
    public const int MaxTestImages = 10_000;

    /// <summary>Training samples: the Fashion-MNIST training split has 60 000.</summary>
    public const int MaxTrainSamples = 60_000;

    /// <summary>Training epochs.</summary>
    public const int MaxEpochs = 1_000;

    /// <summary>Images per forward pass / samples per training step.</summary>
    public const int MaxBatch = 10_000;

    /// <summary>Worst-case bound multiplier k (box ±k·σ): far past any calibrated tail, and a finite box (also for the config's ks).</summary>
    public const double MaxWorstCaseK = Workflows.WorkflowLimits.MaxWorstCaseK;

    /// <summary>Worst-case gradient steps per start and random restarts.</summary>
    public const int MaxSearchSteps = 100_000;

    public const int MaxRestarts = 1_000;

    /// <summary>Search steps, probes, rounds and draws of the training methods.</summary>
    public const int MaxMethodIterations = 10_000;

    /// <summary>Inference time after programming for drift: 10⁹ s is about 32 years.</summary>
    public const double MaxInferenceTimeSeconds = 1e9;

    /// <summary>OpenBLAS threads.</summary>
    public const int MaxBlasThreads = 256;

    /// <summary>*IDN? round trips of instruments probe.</summary>
    public const int MaxProbeCount = 100_000;

    /// <summary>Refuses values outside [<paramref name="min"/>, <paramref name="max"/>] with the option, the value and the range.</summary>
    public static Option<int> Within(this Option<int> option, int min, int max)
    {
        option.Validators.Add(r => Check(r, option.Name, () => r.GetValueOrDefault<int>(), min, max));
        return option;
    }

    /// <inheritdoc cref="Within(Option{int}, int, int)"/>
    public static Option<int?> Within(this Option<int?> option, int min, int max)
    {
        option.Validators.Add(r => Check(r, option.Name, () => r.GetValueOrDefault<int?>() ?? min, min, max));
        return option;
    }

    /// <inheritdoc cref="Within(Option{int}, int, int)"/>
    public static Option<double> Within(this Option<double> option, double min, double max)
    {
        option.Validators.Add(r => Check(r, option.Name, () => r.GetValueOrDefault<double>(), min, max));
        return option;
    }

    /// <inheritdoc cref="Within(Option{int}, int, int)"/>
    public static Option<double?> Within(this Option<double?> option, double min, double max)
    {
        option.Validators.Add(r => Check(r, option.Name, () => r.GetValueOrDefault<double?>() ?? min, min, max));
        return option;
    }

    /// <summary>Throws <see cref="CliUsageException"/> unless min ≤ value ≤ max (for values read from lists or the config).</summary>
    public static double Require(string what, double value, double min, double max) =>
        Message(what, value, min, max) is { } message ? throw new CliUsageException(message) : value;

    private static void Check(OptionResult result, string name, Func<double> value, double min, double max)
    {
        double v;
        try
        {
            v = value();
        }
        catch (InvalidOperationException)
        {
            // The text is not a number of the option's type: the parser reports that error itself.
            return;
        }

        if (Message(name, v, min, max) is { } message)
        {
            result.AddError(message);
        }
    }

    private static string? Message(string what, double value, double min, double max) =>
        value >= min && value <= max // false for NaN
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"{what} {value}: must be between {min} and {max}");
}
