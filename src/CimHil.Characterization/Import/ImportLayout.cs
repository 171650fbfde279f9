using System.Text.Json.Nodes;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Characterization.Import;

/// <summary>
/// Lays imported events out as the procedures a characterisation writes, so calibration reads them unchanged:
/// step = level (program-verify, read noise), time point (retention; step 0 is the programmed state) or cycle;
/// seq = the order of the events of one cell and step (or their repeat index).
/// </summary>
public static class ImportLayout
{
    /// <summary>The procedure an import of <paramref name="kind"/> is stored as; "cycling" is not a bench procedure.</summary>
    public static string ProcedureOf(ImportKind kind) => kind switch
    {
        ImportKind.ProgramVerify => ProcedureNames.Multilevel,
        ImportKind.ReadNoise => ProcedureNames.ReadNoise,
        ImportKind.Retention => ProcedureNames.Drift,
        _ => "cycling",
    };

    public static string RoleOf(ImportKind kind) => kind switch
    {
        ImportKind.ProgramVerify => MeasurementRoles.Final,
        ImportKind.ReadNoise => MeasurementRoles.Noise,
        ImportKind.Retention => MeasurementRoles.Drift,

        // Endurance reads have no bench role: cycleToCycle's "probe" is a probe pulse's response, which these are not.
        _ => "cycle",
    };

    /// <summary>The events in event order: by the sequence column, else by the time column, else as they stand in the files.</summary>
    public static IReadOnlyList<ImportEvent> Ordered(IReadOnlyList<ImportEvent> events) =>
        events.Any(e => e.Sequence is not null) ? [.. events.OrderBy(e => e.Sequence).ThenBy(e => e.Order)]
        : events.Any(e => e.Timestamp is not null) ? [.. events.OrderBy(e => e.Timestamp).ThenBy(e => e.Order)]
        : [.. events.OrderBy(e => e.Order)];

    /// <summary>Assigns every event its record key; two events that claim the same key (a repeat index given twice) are refused.</summary>
    public static IReadOnlyList<(RecordKey Key, ImportEvent Event)> Keys(ImportKind kind, IReadOnlyList<ImportEvent> ordered)
    {
        var procedure = ProcedureOf(kind);
        var targets = ordered.Where(e => e.TargetS is not null).Select(e => e.TargetS!.Value).Distinct().Order().ToList();
        var stepsOfCell = new Dictionary<(int, int), List<object>>();
        var seqOf = new Dictionary<(int, int, int), int>();
        var taken = new HashSet<RecordKey>();
        var keys = new List<(RecordKey, ImportEvent)>();
        foreach (var e in ordered)
        {
            var cell = (e.Row, e.Column);
            int step;
            switch (kind)
            {
                case ImportKind.ProgramVerify or ImportKind.ReadNoise:
                    step = e.Level ?? (e.TargetS is { } t ? targets.IndexOf(t) : 0);
                    break;
                case ImportKind.Retention:
                    // A time point is the elapsed time (or timestamp) with the phase; repeated reads at one point share it.
                    object point = (object?)e.ElapsedSeconds ?? e.Timestamp ?? (object)e.Order;
                    var phase = e.Phase ?? string.Empty;
                    var steps = stepsOfCell.TryGetValue(cell, out var s) ? s : stepsOfCell[cell] = [];
                    var at = steps.IndexOf((point, phase, e.Cycle));
                    step = 1 + (at >= 0 ? at : Add(steps, (point, phase, e.Cycle)));
                    break;
                default:
                    step = e.Cycle ?? Next(seqOf, (e.Row, e.Column, -1));
                    break;
            }

            var seq = e.Repeat ?? Next(seqOf, (e.Row, e.Column, step));
            var key = new RecordKey(procedure, e.Row, e.Column, step, seq);
            if (!taken.Add(key))
            {
                throw new ImportException(e.File, e.Line, null, $"cell ({e.Row},{e.Column}) step {step} read {seq} is given twice (the repeat index or the sequence is not unique)");
            }

            keys.Add((key, e));
        }

        return keys;
    }

    /// <summary>Elapsed time of a retention read: the file's, else the time since the cell's first read.</summary>
    public static double? Elapsed(ImportEvent e, IReadOnlyDictionary<(int, int), DateTimeOffset> firstTime) =>
        e.ElapsedSeconds ?? (e.Timestamp is { } t && firstTime.TryGetValue((e.Row, e.Column), out var f) ? (t - f).TotalSeconds : null);

    /// <summary>One unit per cell and step: outcome from the verify flags, value the mean read, pulses from the counts.</summary>
    public static IReadOnlyList<UnitResult> Units(ImportKind kind, IReadOnlyList<(RecordKey Key, ImportEvent Event)> keyed)
    {
        var procedure = ProcedureOf(kind);
        var units = keyed.GroupBy(k => new UnitKey(procedure, k.Key.Row, k.Key.Column, k.Key.Step)).Select(g => new UnitResult
        {
            Key = g.Key,
            Outcome = kind is ImportKind.Retention or ImportKind.Cycling ? ProcedureNames.Read
                : g.Any(k => k.Event.Verified == false) ? ProcedureNames.NotConverged : ProcedureNames.Converged,
            TargetS = g.First().Event.TargetS,
            ValueS = g.Average(k => k.Event.ConductanceS),
            Pulses = g.Max(k => (k.Event.SetPulses ?? 0) + (k.Event.ResetPulses ?? 0)),
        }).ToList();
        if (kind == ImportKind.Retention)
        {
            // Step 0 is the programmed state calibration groups the drift by: target and first read of each cell.
            units.AddRange(keyed.GroupBy(k => (k.Key.Row, k.Key.Column)).Select(g =>
            {
                var first = g.Where(k => k.Key.Step == g.Min(x => x.Key.Step)).ToList();
                return new UnitResult
                {
                    Key = new UnitKey(procedure, g.Key.Row, g.Key.Column, 0),
                    Outcome = first.Any(k => k.Event.Verified == false) ? ProcedureNames.NotConverged : ProcedureNames.Converged,
                    TargetS = first[0].Event.TargetS,
                    ValueS = first.Average(k => k.Event.ConductanceS),
                    Pulses = first.Max(k => (k.Event.SetPulses ?? 0) + (k.Event.ResetPulses ?? 0)),
                };
            }));
        }

        return units;
    }

    /// <summary>The plan section the imported procedure gets: its levels, reads or time span, as the data show them.</summary>
    public static JsonObject PlanSection(ImportKind kind, IReadOnlyList<(RecordKey Key, ImportEvent Event)> keyed, IReadOnlyList<double> elapsed)
    {
        var levels = keyed.GroupBy(k => k.Key.Step).OrderBy(g => g.Key)
            .Select(g => g.First(k => true).Event.TargetS ?? g.Average(k => k.Event.ConductanceS)).Where(t => t > 0).Distinct().ToList();
        var targets = new JsonArray([.. levels.Select(t => (JsonNode)JsonValue.Create(t))]);
        var readsPerUnit = keyed.GroupBy(k => (k.Key.Row, k.Key.Column, k.Key.Step)).Max(g => g.Count());
        switch (kind)
        {
            case ImportKind.ReadNoise:
                return new JsonObject { ["targetsS"] = targets, ["reads"] = Math.Max(2, readsPerUnit) };
            case ImportKind.Retention:
                var positive = elapsed.Where(t => t > 0).ToList();
                var first = positive.Count > 0 ? positive.Min() : 1;
                var last = positive.Count > 0 ? Math.Max(positive.Max(), first * 10) : 10;
                var programmed = keyed.GroupBy(k => (k.Key.Row, k.Key.Column)).Select(g => g.First().Event.TargetS ?? g.First().Event.ConductanceS).Where(t => t > 0).Distinct().Order();
                return new JsonObject { ["targetsS"] = new JsonArray([.. programmed.Select(t => (JsonNode)JsonValue.Create(t))]), ["firstSeconds"] = first, ["lastSeconds"] = last, ["pointsPerDecade"] = 1 };
            default:
                return new JsonObject { ["targetsS"] = targets };
        }
    }

    private static int Add(List<object> list, object item)
    {
        list.Add(item);
        return list.Count - 1;
    }

    private static int Next(Dictionary<(int, int, int), int> counters, (int, int, int) key)
    {
        var n = counters.GetValueOrDefault(key);
        counters[key] = n + 1;
        return n;
    }
}
