using System.CommandLine;
using CimHil.Simulation.Training;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>train</c>'s options for training to convergence: a validation split carved from the training set, early stopping on
/// it and the learning-rate schedule (docs/robustness.md §8). A bad value is a <see cref="CliUsageException"/>.
/// </summary>
internal sealed class ConvergenceOptions
{
    private readonly Option<int> _validation = new Option<int>("--validation-samples") { Description = "Training samples held out for validation (early stopping, best-epoch weights); 0: none", DefaultValueFactory = _ => 0 }.Within(0, CliLimits.MaxTrainSamples - 1);
    private readonly Option<int> _patience = new Option<int>("--patience") { Description = "Stop after this many epochs without a better validation accuracy (needs --validation-samples); 0: run all --epochs", DefaultValueFactory = _ => 0 }.Within(0, CliLimits.MaxEpochs);
    private readonly Option<string> _schedule = new("--schedule") { Description = "Learning-rate schedule over --epochs: constant or cosine", DefaultValueFactory = _ => "constant" };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_validation);
        command.Options.Add(_patience);
        command.Options.Add(_schedule);
    }

    /// <summary><paramref name="options"/> with the parsed validation, patience and schedule.</summary>
    public TrainerOptions Apply(ParseResult parse, TrainerOptions options)
    {
        var schedule = parse.GetValue(_schedule)!.Trim().ToLowerInvariant() switch
        {
            "constant" => LearningRateSchedule.Constant,
            "cosine" => LearningRateSchedule.Cosine,
            var other => throw new CliUsageException($"--schedule {other}: must be constant or cosine"),
        };
        var validation = parse.GetValue(_validation);
        var patience = parse.GetValue(_patience);
        if (patience > 0 && validation == 0)
        {
            throw new CliUsageException($"--patience {patience}: early stopping needs a validation set; give --validation-samples (e.g. 5000)");
        }

        return options with { ValidationSamples = validation, Patience = patience, Schedule = schedule };
    }
}
