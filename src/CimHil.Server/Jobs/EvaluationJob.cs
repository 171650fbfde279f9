using System.Text.Json;
using CimHil.Core.Config;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// <c>evaluate</c> (Monte-Carlo) or <c>worst-case</c> of a run's calibrated model as a server job: the run's
/// calibration.json, the configured model and mapping, the same stage code as <c>run</c>, every chip or search step sent
/// live. The summary goes to the run folder's <see cref="MonteCarloFile"/> or <see cref="WorstCaseFile"/> — never the
/// run's own monte-carlo.json / worst-case.json, so a resumed <c>run</c> is not changed by it. Needs no chip.
/// </summary>
public sealed class EvaluationJob(HilConfig config, RunSettings settings, string folder, bool worstCase)
{
    /// <summary>The Monte-Carlo summary a server evaluation writes into the run folder.</summary>
    public const string MonteCarloFile = "evaluate-monte-carlo.json";

    /// <summary>The worst-case summary a server evaluation writes into the run folder (Δ files beside it in evaluate-worst-case/).</summary>
    public const string WorstCaseFile = "evaluate-worst-case.json";

    public string Kind => worstCase ? "worst-case" : "evaluate";

    public async Task<object> RunAsync(OperationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ct = context.CancellationToken;
        var eta = new EtaClock();
        var progress = new SynchronousProgress<StageProgress>(p =>
            context.Publish(BenchEventTypes.Stage, new LiveProgress(p.GetType().Name, p, eta.SecondsLeft(p.Stage, p.Done, p.Total, DateTimeOffset.UtcNow))));
        var stage = worstCase ? "worst-case" : "monte-carlo";
        progress.Report(new StageProgress(stage, 0, 1, "loading the model and the test set"));
        var calibration = Path.Combine(folder, RunPipeline.CalibrationFile);
        var network = await ModelFile.LoadAsync(settings.Model, cancellationToken: ct).ConfigureAwait(false);
        var mapping = CimMappingOptions.FromJson(config.Section("simulation").SectionOrEmpty("mapping"));
        mapping.Validate();
        var directory = FashionMnist.ResolveDirectory(null);
        var e = settings.Evaluation;

        // The simulation is CPU-bound and synchronous in parts: off the request threads.
        return await Task.Run<object>(async () =>
        {
            if (worstCase)
            {
                var test = (await FashionMnist.LoadSplitAsync(directory, "t10k", ct).ConfigureAwait(false)).Take(e.WorstCaseImages);
                var search = WorstCaseOptions.Preset(e.WorstCaseMethod) with { Seed = settings.Seed };
                var summary = await EvaluationStages.WorstCaseSummaryAsync(network, mapping, DeviceBoundModel.Parse(calibration), search, e.WorstCaseKs, test,
                    Path.Combine(folder, "evaluate-worst-case"), context.Log, stage, progress, ct).ConfigureAwait(false);
                await Save(summary, WorstCaseFile, ct).ConfigureAwait(false);
                return summary;
            }
            else
            {
                var test = (await FashionMnist.LoadSplitAsync(directory, "t10k", ct).ConfigureAwait(false)).Take(e.MonteCarloImages);
                var summary = await EvaluationStages.MonteCarloSummaryAsync(network, mapping, VariationSpec.Parse(calibration), e.MonteCarloOptions(settings.Seed), test, directory,
                    stage, progress, ct).ConfigureAwait(false);
                await Save(summary, MonteCarloFile, ct).ConfigureAwait(false);
                return summary;
            }
        }, ct).ConfigureAwait(false);
    }

    /// <summary>Written whole or not at all (a temporary file moved over), as the run's stage files are.</summary>
    private async Task Save(object summary, string file, CancellationToken ct)
    {
        var path = Path.Combine(folder, file);
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, JsonSerializer.Serialize(summary, summary.GetType(), WorkflowJson.Options), ct).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }
}
