using CimHil.Characterization.Store;
using CimHil.Workflows;

namespace CimHil.Server.Runs;

/// <summary>The run folders under runs/: listed, resolved by id (never by a path from the request) and read.</summary>
public sealed class RunCatalog(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public IReadOnlyList<RunSummary> List()
    {
        if (!Directory.Exists(Root))
        {
            return [];
        }

        return Directory.GetDirectories(Root)
            .Select(d => Summary(Path.GetFileName(d)))
            .Where(s => s.HasDatabase || s.HasResults || s.HasReport)
            .OrderByDescending(s => s.Id, StringComparer.Ordinal)
            .ToList();
    }

    public RunSummary Summary(string id)
    {
        var folder = Folder(id);
        return new RunSummary(
            id,
            File.Exists(Path.Combine(folder, RunPipeline.DatabaseFile)),
            File.Exists(Path.Combine(folder, RunPipeline.ResultsFile)),
            File.Exists(Path.Combine(folder, RunPipeline.ReportFile)),
            File.Exists(Path.Combine(folder, RunPipeline.CalibrationFile)),
            Directory.GetLastWriteTimeUtc(folder));
    }

    /// <summary>The folder of run <paramref name="id"/>; an id that is not a plain folder name under runs/ is refused.</summary>
    public string Folder(string id)
    {
        if (string.IsNullOrWhiteSpace(id) || id.IndexOfAny(['/', '\\']) >= 0 || id is "." or ".." || id.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new RunNotFoundException(id, "a run id is the name of a folder under runs/");
        }

        var folder = Path.Combine(Root, id);
        return Directory.Exists(folder) ? folder : throw new RunNotFoundException(id, $"no folder {id} under {Root}");
    }

    /// <summary>A new run folder named by the UTC time (a suffix when two start in the same second).</summary>
    public string NewFolder(DateTimeOffset now)
    {
        var folder = RunFolder.New(Root, now);
        var candidate = folder;
        for (var n = 2; Directory.Exists(candidate); n++)
        {
            candidate = $"{folder}-{n}";
        }

        Directory.CreateDirectory(candidate);
        return candidate;
    }

    /// <summary>The file <paramref name="name"/> of a run, or a 404 naming it.</summary>
    public string RunFile(string id, string name)
    {
        var path = Path.Combine(Folder(id), name);
        return File.Exists(path) ? path : throw new RunNotFoundException(id, $"run {id} has no {name}");
    }

    /// <summary>
    /// A page of a run's stored records in key order, every record included (those an aborted attempt left too), so the
    /// pages together hold exactly the store's rows.
    /// </summary>
    public MeasurementPage Measurements(string id, int offset, int limit)
    {
        using var store = MeasurementStore.Open(RunFile(id, RunPipeline.DatabaseFile), DateTimeOffset.UtcNow, readOnly: true);
        var total = store.Counts().Measurements;
        var items = store.Measurements(includeUnfinished: true).Skip(offset).Take(limit).Select(MeasurementRow.Of).ToList();
        return new MeasurementPage(id, total, offset, limit, items);
    }

    /// <summary>The units of a run (one row per cell and step: outcome, target, resulting conductance, pulses).</summary>
    public IReadOnlyList<Jobs.LiveUnit> Units(string id)
    {
        using var store = MeasurementStore.Open(RunFile(id, RunPipeline.DatabaseFile), DateTimeOffset.UtcNow, readOnly: true);
        return store.Units().Select(u => new Jobs.LiveUnit(u.Key.Procedure, u.Key.Row, u.Key.Column, u.Key.Step, u.Outcome, u.TargetS, u.ValueS, u.Pulses)).ToList();
    }

    /// <summary>
    /// The conductance map of a run as the live page draws it: every cell the store has a conductance for, with its
    /// last stored read, else its last unit's resulting value ([row, column, siemens]). "Last" is the order they were
    /// taken in: the procedures' order of running (their ordinal), then step and sequence (as
    /// <see cref="MeasurementStore.LastReadsPerCell"/>; the emulator's operations take no virtual time, so timestamps
    /// cannot order them), never the store's key order, which sorts procedures by name. The page loads it when a
    /// characterisation stops, ends or resumes, so what it shows then is the store's whole array, not only what its event
    /// stream delivered (cells only an early procedure measured, stuck or unformed ones, are never measured again).
    /// </summary>
    public IReadOnlyList<double[]> Map(string id)
    {
        using var store = MeasurementStore.Open(RunFile(id, RunPipeline.DatabaseFile), DateTimeOffset.UtcNow, readOnly: true);
        var ran = store.Procedures().Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i, StringComparer.Ordinal);
        int Ordinal(string procedure) => ran.TryGetValue(procedure, out var i) ? i : ran.Count;
        var units = new Dictionary<(int, int), ((int, int) Order, double Value)>();
        foreach (var u in store.Units())
        {
            var order = (Ordinal(u.Key.Procedure), u.Key.Step);
            if (u.ValueS is { } value && (!units.TryGetValue((u.Key.Row, u.Key.Column), out var seen) || order.CompareTo(seen.Order) > 0))
            {
                units[(u.Key.Row, u.Key.Column)] = (order, value);
            }
        }

        var reads = new Dictionary<(int, int), ((int, int, int) Order, double Value)>();
        foreach (var m in store.Measurements(includeUnfinished: true))
        {
            var order = (Ordinal(m.Key.Procedure), m.Key.Step, m.Key.Seq);
            if (m.Kind == MeasurementKind.Read && m.ConductanceS is { } g && (!reads.TryGetValue((m.Key.Row, m.Key.Column), out var seen) || order.CompareTo(seen.Order) > 0))
            {
                reads[(m.Key.Row, m.Key.Column)] = (order, g);
            }
        }

        var cells = units.ToDictionary(kv => kv.Key, kv => kv.Value.Value);
        foreach (var (cell, read) in reads)
        {
            cells[cell] = read.Value;
        }

        return [.. cells.Select(kv => new[] { kv.Key.Item1, kv.Key.Item2, kv.Value })];
    }
}
