using CimHil.Characterization;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// <c>cimhil characterize</c> as a server job: a plan run into <c>runs/&lt;id&gt;/measurements.db</c> (the layout of a
/// run folder, so <c>run</c> can continue it), with every commit and every progress report sent live. Stop ends it at
/// the next commit; starting it again on the same folder resumes it.
/// </summary>
public sealed class CharacterizationJob
{
    private readonly HilConfig _config;
    private readonly CharacterizationPlan? _plan;
    private readonly string _folder;
    private readonly CharacterizerOptions _options;

    /// <param name="plan">The plan of a new run; null to resume the folder's stored one.</param>
    public CharacterizationJob(HilConfig config, CharacterizationPlan? plan, string folder, CharacterizerOptions options)
    {
        _config = config;
        _plan = plan;
        _folder = folder;
        _options = options;
    }

    public string Database => Path.Combine(_folder, RunPipeline.DatabaseFile);

    public async Task<object> RunAsync(OperationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var chip = context.RequireChip();
        var ct = context.CancellationToken;
        if (_plan is not null)
        {
            // Before the store exists: a plan the limits refuse leaves nothing behind (as the CLI).
            PlanValidator.Check(_plan, chip).ThrowIfInvalid(_plan.Name);
        }

        Directory.CreateDirectory(_folder);
        using var store = _plan is null
            ? MeasurementStore.Open(Database, DateTimeOffset.UtcNow)
            : MeasurementStore.Create(Database, RunFolder.IdOf(_folder), _plan.Json, RunProvenance.Of(chip, _config), DateTimeOffset.UtcNow);
        var plan = _plan ?? CharacterizationPlan.Parse(store.Run.PlanJson, $"{Database} (stored plan)", Characterization.Procedures.ProcedurePlugins.Registry(_config));
        LiveStoreFeed.Follow(context, chip, store, _folder);
        var eta = new EtaClock();
        var progress = new SynchronousProgress<CharacterizationProgress>(p =>
            context.Publish(BenchEventTypes.Progress, new LiveProgress(p.GetType().Name, p, eta.SecondsLeft(p.Procedure, p.UnitsDone, p.UnitsTotal, DateTimeOffset.UtcNow))));
        context.StopsAtCommit = true;
        var summary = await new Characterizer(chip, store, plan, context.Log, progress, _options).RunAsync(ct).ConfigureAwait(false);
        return summary;
    }
}
