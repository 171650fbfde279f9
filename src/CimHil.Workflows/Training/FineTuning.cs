using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using Serilog;

namespace CimHil.Workflows;

/// <summary>
/// Robustness fine-tuning of a given network (an imported ONNX graph or a loaded checkpoint) with a named method: the same
/// trainer and methods as <see cref="MethodTraining"/>, starting from the network's weights instead of a fresh initialisation
/// (issue #17, item 5). The network is trained in place.
/// </summary>
public static class FineTuning
{
    /// <summary>Fine-tunes <paramref name="network"/> with <paramref name="method"/>; the rcn σ/threshold search is not run here.</summary>
    public static async Task<MethodTrainingResult> FineTuneAsync(
        Network network,
        string method,
        RobustnessSettings settings,
        CimMappingOptions mapping,
        TrainerOptions options,
        Dataset train,
        Dataset? test,
        IProgress<TrainingProgress>? progress,
        ILogger logger,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(logger);
        method = RobustnessMethods.Canonical(method);
        settings.Validate();
        if (settings.RcnSearch)
        {
            // The search trains a fresh built-in network per candidate; from given weights it would need one copy per candidate.
            throw new ArgumentException("--rcn-search trains fresh built-in networks and cannot start from given weights; give --sigma and --threshold instead.", nameof(settings));
        }

        var trainer = new Trainer(options, logger, RobustnessMethods.Create(method, settings, mapping, options.Seed, logger));
        var result = await trainer.TrainAsync(network, train, test, progress, ct).ConfigureAwait(false);
        var parameters = new SortedDictionary<string, string>(RobustnessMethods.Parameters(method, settings).ToDictionary(), StringComparer.Ordinal);
        return new MethodTrainingResult(network, result, settings, parameters, null);
    }
}
