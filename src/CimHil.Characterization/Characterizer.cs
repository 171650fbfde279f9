using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Resume;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Characterization;

/// <summary>Progress of the running procedure: units of work done out of the total.</summary>
public sealed record CharacterizationProgress(string Procedure, int UnitsDone, int UnitsTotal);

/// <summary>What a characterisation run did in this session.</summary>
public sealed record CharacterizationSummary(
    string RunId,
    string StorePath,
    int Session,
    bool Resumed,
    IReadOnlyList<string> Procedures,
    long Measurements,
    long Units,
    int UnitsThisSession,
    double ElapsedSeconds)
{
    /// <summary>What the resume check found (a restored emulator state, the fingerprint, procedures restarted on a new chip).</summary>
    public ResumeCheck Resume { get; init; } = ResumeCheck.Fresh;
}

/// <summary>
/// Runs a <see cref="CharacterizationPlan"/> on a chip through <see cref="IChip"/> only, writing every pulse and
/// read to a <see cref="MeasurementStore"/>. Units already in the store are skipped, so running it again on the
/// same store (resume) takes exactly the missing units and never re-programs a finished cell.
/// </summary>
public sealed class Characterizer
{
    private readonly IChip _chip;
    private readonly MeasurementStore _store;
    private readonly CharacterizationPlan _plan;
    private readonly ILogger _log;
    private readonly IProgress<CharacterizationProgress>? _progress;
    private readonly CharacterizerOptions _options;
    private readonly Dictionary<string, int> _doneCount = new(StringComparer.Ordinal);
    private int _unitsThisSession;

    public Characterizer(IChip chip, MeasurementStore store, CharacterizationPlan plan, ILogger logger, IProgress<CharacterizationProgress>? progress = null, CharacterizerOptions? options = null)
    {
        _options = options ?? CharacterizerOptions.Default;
        _chip = chip;
        _store = store;
        _plan = plan;
        _log = logger.ForContext<Characterizer>();
        _progress = progress;
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
        var ordinal = 0;
        foreach (var name in ProcedureNames.InOrder)
        {
            ordinal++;
            Func<CancellationToken, Task>? body = name switch
            {
                ProcedureNames.Forming when _plan.Forming is { } f => ct => FormingAsync(f, ct),
                ProcedureNames.StuckMap when _plan.StuckMap is { } s => ct => StuckMapAsync(s, ct),
                ProcedureNames.IvSweep when _plan.IvSweep is { } iv => ct => IvSweepAsync(iv, ct),
                ProcedureNames.Multilevel when _plan.Multilevel is { } m => ct => MultilevelAsync(m, ct),
                ProcedureNames.CycleToCycle when _plan.CycleToCycle is { } c => ct => CycleToCycleAsync(c, ct),
                ProcedureNames.ReadNoise when _plan.ReadNoise is { } r => ct => ReadNoiseAsync(r, ct),
                ProcedureNames.Drift when _plan.Drift is { } d => ct => DriftAsync(d, ct),
                _ => null,
            };
            if (body is null)
            {
                continue;
            }

            ran.Add(name);
            _store.BeginProcedure(name, ordinal, _plan.SectionJson(name), _chip.Clock.Now);
            if (_store.IsProcedureFinished(name))
            {
                continue;
            }

            var sw = System.Diagnostics.Stopwatch.StartNew();
            await body(cancellationToken).ConfigureAwait(false);
            _store.FinishProcedure(name, _chip.Clock.Now);
            _log.Information("Procedure {Procedure} done in {ElapsedMs} ms", name, sw.Elapsed.TotalMilliseconds);
        }

        _store.FinishRun(_chip.Clock.Now);
        var (measured, units, _) = _store.Counts();
        return new CharacterizationSummary(_store.Run.RunId, _store.Path, _store.Session, resumed, ran, measured, units, _unitsThisSession, (DateTimeOffset.UtcNow - started).TotalSeconds)
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
        foreach (var name in ProcedureNames.InOrder)
        {
            _store.RequireParametersKept(name, _plan.SectionJson(name));
        }

        if (!string.Equals(_store.Run.PlanJson, _plan.Json, StringComparison.Ordinal))
        {
            _log.Information("Run {RunId} continues with a changed plan {Plan}", _store.Run.RunId, _plan.Name);
            _store.ReplacePlan(_plan.Json);
        }
    }

    private async Task FormingAsync(FormingSpec spec, CancellationToken ct)
    {
        const string name = ProcedureNames.Forming;
        if (!_chip.Supports(ChipCapabilities.RequiresForming))
        {
            _log.Information("Chip does not need forming; skipped");
            return;
        }

        var done = _store.CompletedUnits(name);
        var resumeSeq = _store.NextSeqOfUnfinishedUnits(name);
        var total = _chip.Geometry.CellCount;
        using var batch = _store.BeginBatch();
        for (var row = 0; row < _chip.Geometry.Rows; row++)
        {
            for (var col = 0; col < _chip.Geometry.Columns; col++)
            {
                if (done.Contains(new UnitKey(name, row, col, 0)))
                {
                    continue;
                }

                var cell = new CellAddress(row, col);
                var amplitude = spec.AmplitudeV;
                var seq = resumeSeq.GetValueOrDefault(new UnitKey(name, row, col, 0));
                var pulses = 0;
                var triesWithoutVerdict = 0;
                FormingResult result;
                while (true)
                {
                    var pulse = new FormingPulse { AmplitudeV = amplitude, WidthSeconds = spec.WidthSeconds, ComplianceA = spec.ComplianceA, GateVoltageV = spec.GateVoltageV };
                    var formed = await RecordedPulse.FormAsync(_chip, cell, pulse, () => new RecordKey(name, cell.Row, cell.Column, 0, seq++), _plan.ReadVoltageV, batch, ++triesWithoutVerdict >= RecordedPulse.MaxSendsWhenNotApplied, ct).ConfigureAwait(false);
                    if (formed is null)
                    {
                        // The reply (and with it the verdict) was lost: the pulse and the read-back are recorded; the same
                        // amplitude is tried again, and its reply decides.
                        continue;
                    }

                    triesWithoutVerdict = 0;
                    result = formed;
                    pulses++;
                    if (result.Formed || spec.StepV <= 0 || amplitude + spec.StepV > spec.MaxAmplitudeV + 1e-12)
                    {
                        break;
                    }

                    amplitude += spec.StepV;
                }

                batch.Complete(new UnitResult { Key = new UnitKey(name, row, col, 0), Outcome = result.Formed ? ProcedureNames.Formed : ProcedureNames.NotFormed, Pulses = pulses });
            }

            Commit(batch, name, done.Count, total);
        }
    }

    private async Task StuckMapAsync(StuckMapSpec spec, CancellationToken ct)
    {
        const string name = ProcedureNames.StuckMap;
        var done = _store.CompletedUnits(name);
        var cols = _chip.Geometry.Columns;
        using var batch = _store.BeginBatch();
        var v = _plan.ReadVoltageV;
        var resumeSeq = _store.NextSeqOfUnfinishedUnits(name);
        for (var row = 0; row < _chip.Geometry.Rows; row++)
        {
            if (Enumerable.Range(0, cols).All(c => done.Contains(new UnitKey(name, row, c, 0))))
            {
                continue;
            }

            var r0 = row;
            var seq = Enumerable.Range(0, cols).Select(c => resumeSeq.GetValueOrDefault(new UnitKey(name, r0, c, 0))).ToArray();
            var set = new double[cols];
            var reset = new double[cols];
            foreach (var (polarity, pulseSpec, role, into) in new[] { (PulsePolarity.Set, spec.SetPulse, "set", set), (PulsePolarity.Reset, spec.ResetPulse, "reset", reset) })
            {
                var pulse = pulseSpec.ToPulse(polarity);
                for (var col = 0; col < cols; col++)
                {
                    for (var k = 0; k < spec.Pulses; k++)
                    {
                        // An uncertain pulse is recorded as such; the row read below is its read-back.
                        var c0 = col;
                        await RecordedPulse.ApplyAsync(_chip, new CellAddress(row, col), pulse, () => new RecordKey(name, r0, c0, 0, seq[c0]++), role, v, batch, ct).ConfigureAwait(false);
                    }
                }

                var read = await _chip.ReadRowAsync(row, v, ct).ConfigureAwait(false);
                for (var col = 0; col < cols; col++)
                {
                    into[col] = read.ConductanceS(row, col);
                    batch.Add(Measurement.FromRead(new RecordKey(name, row, col, 0, seq[col]++), role, v, read.CurrentA(row, col), read.Timestamp));
                }
            }

            // A cell is stuck ON when even full RESET leaves it above the row's log-midpoint between the typical SET and
            // RESET levels, stuck OFF when even full SET leaves it below (the bit-map test of Chen et al., IEEE TCAD 36(7), 2017).
            var mid = Math.Sqrt(CellSampling.Median(set) * Math.Max(CellSampling.Median(reset), 1e-15));
            for (var col = 0; col < cols; col++)
            {
                var outcome = reset[col] > mid ? ProcedureNames.StuckOn : set[col] < mid ? ProcedureNames.StuckOff : ProcedureNames.Ok;
                batch.Complete(new UnitResult { Key = new UnitKey(name, row, col, 0), Outcome = outcome, ValueS = outcome == ProcedureNames.StuckOn ? reset[col] : set[col], Pulses = 2 * spec.Pulses });
            }

            Commit(batch, name, done.Count, _chip.Geometry.CellCount);
        }
    }

    private async Task IvSweepAsync(IvSweepSpec spec, CancellationToken ct)
    {
        const string name = ProcedureNames.IvSweep;
        foreach (var cell in spec.Cells)
        {
            if (!_chip.Geometry.Contains(cell))
            {
                throw new CellOutOfRangeException($"ivSweep cell {cell}", _chip.Geometry);
            }
        }

        var done = _store.CompletedUnits(name);
        var resumeSeq = _store.NextSeqOfUnfinishedUnits(name);
        using var batch = _store.BeginBatch();
        foreach (var cell in spec.Cells.Distinct())
        {
            if (done.Contains(new UnitKey(name, cell.Row, cell.Column, 0)))
            {
                continue;
            }

            var seq = resumeSeq.GetValueOrDefault(new UnitKey(name, cell.Row, cell.Column, 0));
            foreach (var v in spec.VoltagesV)
            {
                var r = await _chip.ReadCellAsync(cell, v, ct).ConfigureAwait(false);
                batch.Add(Measurement.FromRead(new RecordKey(name, cell.Row, cell.Column, 0, seq++), "iv", v, r.CurrentA, r.Timestamp));
            }

            batch.Complete(new UnitResult { Key = new UnitKey(name, cell.Row, cell.Column, 0), Outcome = ProcedureNames.Read });
            Commit(batch, name, done.Count, spec.Cells.Length);
        }
    }

    private async Task MultilevelAsync(MultilevelSpec spec, CancellationToken ct)
    {
        const string name = ProcedureNames.Multilevel;
        var cells = CellSampling.Sample(_store, _chip.Geometry, _plan.Seed, name, spec.Sample);
        var done = _store.CompletedUnits(name);
        var resumeSeq = _store.NextSeqOfUnfinishedUnits(name);
        using var batch = _store.BeginBatch();
        var total = cells.Count * spec.TargetsS.Length;
        for (var level = 0; level < spec.TargetsS.Length; level++)
        {
            foreach (var row in cells.GroupBy(c => c.Row).OrderBy(g => g.Key))
            {
                var todo = row.Where(c => !done.Contains(new UnitKey(name, c.Row, c.Column, level)))
                    .Select(c => new VerifyTarget(c.Column, level, spec.TargetsS[level], resumeSeq.GetValueOrDefault(new UnitKey(name, c.Row, c.Column, level)))).ToList();
                if (todo.Count == 0)
                {
                    continue;
                }

                var outcomes = await ProgramVerifier.RunRowAsync(_chip, name, row.Key, todo, _plan.Verify, _plan.ReadVoltageV, batch, ct).ConfigureAwait(false);
                CompleteVerify(batch, name, row.Key, outcomes);
                Commit(batch, name, done.Count, total);
            }
        }
    }

    private async Task CycleToCycleAsync(CycleToCycleSpec spec, CancellationToken ct)
    {
        const string name = ProcedureNames.CycleToCycle;
        var cells = CellSampling.Sample(_store, _chip.Geometry, _plan.Seed, name, spec.Sample);
        var done = _store.CompletedUnits(name);
        var resumeSeq = _store.NextSeqOfUnfinishedUnits(name);
        using var batch = _store.BeginBatch();
        var total = cells.Count * spec.Repeats;
        var probe = spec.Probe.ToPulse(spec.ProbePolarity);
        var v = _plan.ReadVoltageV;
        foreach (var row in cells.GroupBy(c => c.Row).OrderBy(g => g.Key))
        {
            for (var repeat = 0; repeat < spec.Repeats; repeat++)
            {
                var todo = row.Where(c => !done.Contains(new UnitKey(name, c.Row, c.Column, repeat)))
                    .Select(c => new VerifyTarget(c.Column, repeat, spec.StartTargetS, resumeSeq.GetValueOrDefault(new UnitKey(name, c.Row, c.Column, repeat)))).ToList();
                if (todo.Count == 0)
                {
                    continue;
                }

                // Program to the same start state, then one identical probe pulse: the spread of its effect on one
                // cell over repeats is the cycle-to-cycle variation (Fantini et al., IMW 2013, §III).
                var outcomes = await ProgramVerifier.RunRowAsync(_chip, name, row.Key, todo, _plan.Verify, v, batch, ct).ConfigureAwait(false);
                var seq = outcomes.ToDictionary(o => o.Column, o => o.NextSeq);
                foreach (var o in outcomes)
                {
                    // An uncertain probe is recorded as such; the probe reads below are its read-back.
                    var r = repeat;
                    await RecordedPulse.ApplyAsync(_chip, new CellAddress(row.Key, o.Column), probe, () => new RecordKey(name, row.Key, o.Column, r, seq[o.Column]++), "probe", v, batch, ct).ConfigureAwait(false);
                }

                var sum = new Dictionary<int, double>();
                for (var k = 0; k < spec.ProbeReads; k++)
                {
                    var read = await _chip.ReadBlockAsync(ProgramVerifier.Span(row.Key, todo), v, ct).ConfigureAwait(false);
                    foreach (var o in outcomes)
                    {
                        var current = read.CurrentA(row.Key, o.Column);
                        sum[o.Column] = sum.GetValueOrDefault(o.Column) + (current / v);
                        batch.Add(Measurement.FromRead(new RecordKey(name, row.Key, o.Column, repeat, seq[o.Column]++), "probe", v, current, read.Timestamp));
                    }
                }

                foreach (var o in outcomes)
                {
                    batch.Complete(new UnitResult
                    {
                        Key = new UnitKey(name, row.Key, o.Column, repeat),
                        Outcome = o.Converged ? ProcedureNames.Converged : ProcedureNames.NotConverged,
                        TargetS = o.TargetS,
                        ValueS = sum[o.Column] / spec.ProbeReads,
                        Pulses = o.Pulses + 1,
                    });
                }

                Commit(batch, name, done.Count, total);
            }
        }
    }

    private async Task ReadNoiseAsync(ReadNoiseSpec spec, CancellationToken ct)
    {
        const string name = ProcedureNames.ReadNoise;
        var cells = CellSampling.Sample(_store, _chip.Geometry, _plan.Seed, name, spec.Sample);
        var done = _store.CompletedUnits(name);
        var resumeSeq = _store.NextSeqOfUnfinishedUnits(name);
        using var batch = _store.BeginBatch();
        var v = _plan.ReadVoltageV;
        var levelOf = CellSampling.LevelAssignment(cells, spec.TargetsS.Length);
        foreach (var row in cells.GroupBy(c => c.Row).OrderBy(g => g.Key))
        {
            var todo = row.Where(c => !done.Contains(new UnitKey(name, c.Row, c.Column, levelOf[c])))
                .Select(c => new VerifyTarget(c.Column, levelOf[c], spec.TargetsS[levelOf[c]], resumeSeq.GetValueOrDefault(new UnitKey(name, c.Row, c.Column, levelOf[c])))).ToList();
            if (todo.Count == 0)
            {
                continue;
            }

            var outcomes = await ProgramVerifier.RunRowAsync(_chip, name, row.Key, todo, _plan.Verify, v, batch, ct).ConfigureAwait(false);
            var seq = outcomes.ToDictionary(o => o.Column, o => o.NextSeq);
            var block = ProgramVerifier.Span(row.Key, todo);
            for (var k = 0; k < spec.Reads; k++)
            {
                var read = await _chip.ReadBlockAsync(block, v, ct).ConfigureAwait(false);
                foreach (var t in todo)
                {
                    batch.Add(Measurement.FromRead(new RecordKey(name, row.Key, t.Column, t.Step, seq[t.Column]++), "noise", v, read.CurrentA(row.Key, t.Column), read.Timestamp, t.TargetS));
                }
            }

            CompleteVerify(batch, name, row.Key, outcomes);
            Commit(batch, name, done.Count, cells.Count);
        }
    }

    private async Task DriftAsync(DriftSpec spec, CancellationToken ct)
    {
        const string name = ProcedureNames.Drift;
        var cells = CellSampling.Sample(_store, _chip.Geometry, _plan.Seed, name, spec.Sample);
        var done = _store.CompletedUnits(name);
        var resumeSeq = _store.NextSeqOfUnfinishedUnits(name);
        using var batch = _store.BeginBatch();
        var v = _plan.ReadVoltageV;
        var levelOf = CellSampling.LevelAssignment(cells, spec.TargetsS.Length);
        var total = cells.Count * (spec.TimesSeconds.Length + 1);

        // Step 0 programs every sampled cell (the target level is the unit's target); steps 1..n are the time points.
        foreach (var row in cells.GroupBy(c => c.Row).OrderBy(g => g.Key))
        {
            var todo = row.Where(c => !done.Contains(new UnitKey(name, c.Row, c.Column, 0)))
                .Select(c => new VerifyTarget(c.Column, 0, spec.TargetsS[levelOf[c]], resumeSeq.GetValueOrDefault(new UnitKey(name, c.Row, c.Column, 0)))).ToList();
            if (todo.Count == 0)
            {
                continue;
            }

            var outcomes = await ProgramVerifier.RunRowAsync(_chip, name, row.Key, todo, _plan.Verify with { SettleSeconds = 0, FinalReads = 1 }, v, batch, ct).ConfigureAwait(false);
            CompleteVerify(batch, name, row.Key, outcomes);
            Commit(batch, name, done.Count, total);
        }

        var programmed = _store.LastPulseTimes(name, 0);
        var reference = programmed.Count > 0 ? programmed.Values.Max() : _chip.Clock.Now;
        var rows = cells.GroupBy(c => c.Row).OrderBy(g => g.Key).ToList();
        for (var k = 0; k < spec.TimesSeconds.Length; k++)
        {
            var step = k + 1;
            if (cells.All(c => done.Contains(new UnitKey(name, c.Row, c.Column, step))))
            {
                continue;
            }

            var wait = reference + TimeSpan.FromSeconds(spec.TimesSeconds[k]) - _chip.Clock.Now;
            if (wait > TimeSpan.Zero)
            {
                await _chip.Clock.DelayAsync(wait, ct).ConfigureAwait(false);
            }

            foreach (var row in rows)
            {
                var todo = row.Where(c => !done.Contains(new UnitKey(name, c.Row, c.Column, step))).ToList();
                if (todo.Count == 0)
                {
                    continue;
                }

                var block = ProgramVerifier.Span(row.Key, todo.Select(c => new VerifyTarget(c.Column, step, 0)).ToList());
                var sum = new double[todo.Count];
                for (var k2 = 0; k2 < spec.ReadsPerPoint; k2++)
                {
                    var read = await _chip.ReadBlockAsync(block, v, ct).ConfigureAwait(false);
                    for (var j = 0; j < todo.Count; j++)
                    {
                        var c = todo[j];
                        double? elapsed = programmed.TryGetValue((c.Row, c.Column), out var t) ? (read.Timestamp - t).TotalSeconds : null;
                        var current = read.CurrentA(c.Row, c.Column);
                        sum[j] += current / v;
                        batch.Add(Measurement.FromRead(new RecordKey(name, c.Row, c.Column, step, resumeSeq.GetValueOrDefault(new UnitKey(name, c.Row, c.Column, step)) + k2), "drift", v, current, read.Timestamp, spec.TargetsS[levelOf[c]], elapsed));
                    }
                }

                for (var j = 0; j < todo.Count; j++)
                {
                    var c = todo[j];
                    batch.Complete(new UnitResult { Key = new UnitKey(name, c.Row, c.Column, step), Outcome = ProcedureNames.Read, TargetS = spec.TargetsS[levelOf[c]], ValueS = sum[j] / spec.ReadsPerPoint });
                }
            }

            // One transaction per time point: on hardware a time point can be hours after the previous one.
            Commit(batch, name, done.Count, total);
        }
    }

    private static void CompleteVerify(UnitBatch batch, string name, int row, IReadOnlyList<VerifyOutcome> outcomes)
    {
        foreach (var o in outcomes)
        {
            batch.Complete(new UnitResult
            {
                Key = new UnitKey(name, row, o.Column, o.Step),
                Outcome = o.Converged ? ProcedureNames.Converged : ProcedureNames.NotConverged,
                TargetS = o.TargetS,
                ValueS = o.FinalS,
                Pulses = o.Pulses,
            });
        }
    }

    /// <summary>Commits the batch; progress counts the units done before this session plus those committed since.</summary>
    private void Commit(UnitBatch batch, string procedure, int doneAtStart, int total)
    {
        var units = batch.UnitCount;
        batch.Commit(_chip.Clock.Now);
        _unitsThisSession += units;
        if (_progress is not null)
        {
            // Counted, not re-read: re-reading the unit table after every commit would be quadratic in the run size.
            _doneCount[procedure] = _doneCount.GetValueOrDefault(procedure, doneAtStart) + units;
            _progress.Report(new CharacterizationProgress(procedure, _doneCount[procedure], total));
        }
    }
}
