using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Resume;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Characterization;

/// <summary>
/// Runs a <see cref="CharacterizationPlan"/> on a chip through <see cref="IChip"/> only, writing every pulse and
/// read to a <see cref="MeasurementStore"/>: each of the plan's procedures in turn (<see cref="ICharacterizationProcedure"/>,
/// found by <see cref="ProcedureRegistry"/>). Units already in the store are skipped, so running it again on the
/// same store (resume) takes exactly the missing units and never re-programs a finished cell.
/// </summary>
public sealed class Characterizer
{
    private readonly IChip _chip;
    private readonly MeasurementStore _store;
    private readonly CharacterizationPlan _plan;
    private readonly ILogger _log;
    private readonly CharacterizerOptions _options;
    private readonly SessionProgress _session;

    public Characterizer(IChip chip, MeasurementStore store, CharacterizationPlan plan, ILogger logger, IProgress<CharacterizationProgress>? progress = null, CharacterizerOptions? options = null)
    {
        _options = options ?? CharacterizerOptions.Default;
        _chip = chip;
        _store = store;
        _plan = plan;
        _log = logger.ForContext<Characterizer>();
        _session = new SessionProgress(progress);
        var g = store.Run.Provenance.Geometry;
        if (g.Rows != chip.Geometry.Rows || g.Columns != chip.Geometry.Columns)
        {
            throw new MeasurementStoreException(store.Path, $"holds a {g} run but the chip is {chip.Geometry}");
        }
    }

    /// <summary>Runs (or resumes) every procedure of the plan.</summary>
    public async Task<CharacterizationSummary> RunAsync(CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        var resumed = _store.Session > 1;

        // Before anything reaches the chip: a plan the limits or the chip refuse would otherwise fail part-way, e.g.
        // at the I–V sweep after every cell was formed. Callers check it before creating the store too (PlanValidator).
        PlanValidator.Check(_plan, _chip).ThrowIfInvalid(_plan.Name);
        AdoptPlan();

        // Before any pulse: a resume must continue on the chip it measured, in the state it left it (or restart what
        // depends on that state, when the user says so). On the emulator this also keeps its state saved with every commit.
        var resume = await ResumeGuard.PrepareAsync(_chip, _store, _options, _log, cancellationToken).ConfigureAwait(false);

        // A restarted emulator's virtual clock begins at its epoch again; move it past what is stored so timestamps stay ordered.
        if (_chip.Clock.IsVirtual && _store.LatestTimestamp() is { } latest && latest > _chip.Clock.Now)
        {
            await _chip.Clock.DelayAsync(latest - _chip.Clock.Now + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }

        _log.Information("Characterisation {Plan} on {Chip} {Geometry}, session {Session}", _plan.Name, _chip.Identity, _chip.Geometry, _store.Session);
        var ran = new List<string>();
        foreach (var section in _plan.Sections)
        {
            var name = section.Name;
            ran.Add(name);
            _store.BeginProcedure(name, section.Registration.Order, _plan.SectionJson(name), _chip.Clock.Now);
            if (_store.IsProcedureFinished(name))
            {
                continue;
            }

            var sw = System.Diagnostics.Stopwatch.StartNew();
            var context = new ProcedureContext(name, _chip, _store, _plan, _log, _session);
            await section.Registration.Procedure.RunAsync(section.Spec, context, cancellationToken).ConfigureAwait(false);
            _store.FinishProcedure(name, _chip.Clock.Now);
            _log.Information("Procedure {Procedure} done in {ElapsedMs} ms", name, sw.Elapsed.TotalMilliseconds);
        }

        _store.FinishRun(_chip.Clock.Now);
        var (measured, units, _) = _store.Counts();
        return new CharacterizationSummary(_store.Run.RunId, _store.Path, _store.Session, resumed, ran, measured, units, _session.UnitsThisSession, (DateTimeOffset.UtcNow - started).TotalSeconds)
        {
            Resume = resume,
        };
    }

    /// <summary>
    /// On resume: every procedure with stored records must keep its parameters; the rest may change (a corrected plan),
    /// and the run then records the plan it continues with.
    /// </summary>
    private void AdoptPlan()
    {
        // The stored procedures too: one whose plug-in is no longer loaded still keeps its records' parameters.
        foreach (var name in _plan.Registry.Sections.Union(_store.Procedures(), StringComparer.Ordinal))
        {
            _store.RequireParametersKept(name, _plan.SectionJson(name));
        }

        if (!string.Equals(_store.Run.PlanJson, _plan.Json, StringComparison.Ordinal))
        {
            _log.Information("Run {RunId} continues with a changed plan {Plan}", _store.Run.RunId, _plan.Name);
            _store.ReplacePlan(_plan.Json);
        }
    }
}
