using System.Text.Json;
using System.Text.Json.Nodes;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.IO;
using CimHil.Core.Numerics;

namespace CimHil.Characterization.Import;

/// <summary>
/// Brings foreign measurement files into a <see cref="MeasurementStore"/> as the procedure their kind maps to, with the
/// files' names and SHA-256, the mapping and the import time. Everything is parsed before anything is written, and the
/// write is one transaction, so a failed import leaves the store as it was (and a store it was creating is removed).
/// </summary>
public static class MeasurementImporter
{
    public static async Task<ImportSummary> ImportAsync(IReadOnlyList<string> files, ImportMapping mapping, string storePath, ImportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(options);
        if (files.Count == 0)
        {
            throw new ArgumentException("name at least one file to import", nameof(files));
        }

        var events = new List<ImportEvent>();
        var skipped = new List<string>();
        var sources = new List<ImportedFile>();
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                throw new ImportException(file, null, null, "file not found; nothing was imported");
            }

            var sha = await FileHash.Sha256HexAsync(file, cancellationToken).ConfigureAwait(false);

            var table = mapping.Format.Hdf5
                ? await Hdf5TableReader.ReadAsync(file, mapping.Sources.Values, cancellationToken).ConfigureAwait(false)
                : await DelimitedTextReader.ReadAsync(file, mapping.Format, cancellationToken).ConfigureAwait(false);
            var parser = new EventParser(mapping, table);
            var before = skipped.Count;
            var stored = 0;
            foreach (var row in table.Rows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    events.Add(parser.Parse(row, events.Count));
                    stored++;
                }
                catch (ImportException ex) when (options.SkipBadRows)
                {
                    skipped.Add(ex.Message);
                }
            }

            sources.Add(new ImportedFile(Path.GetFileName(file), sha, stored, skipped.Count - before));
        }

        if (events.Count == 0)
        {
            throw new ImportException(files[0], null, null, skipped.Count > 0 ? $"all {skipped.Count} rows were bad; nothing was imported" : "holds no data rows; nothing was imported");
        }

        var now = options.NowUtc ?? DateTimeOffset.UtcNow;
        var import = Build(mapping, events, sources, skipped, now);
        var created = !File.Exists(storePath);
        if (!created)
        {
            ImportArrayCheck.RequireSameArray(storePath, files, mapping, events, now);
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(storePath))!;
        var folderExisted = Directory.Exists(folder);
        var store = created
            ? MeasurementStore.Create(storePath, options.Name, import.PlanJson, Provenance(mapping, events, files), now)
            : MeasurementStore.Open(storePath, now);
        try
        {
            using (store)
            {
                import = import with { PlanJson = created ? import.PlanJson : MergePlan(store.Run.PlanJson, import, mapping) };
                CharacterizationPlan.Parse(import.PlanJson, "the plan of the import");
                store.WriteImport(import, options.Progress, cancellationToken);
            }
        }
        catch when (created)
        {
            foreach (var leftover in new[] { storePath, CommitJournal.PathOf(storePath), storePath + "-wal", storePath + "-shm" })
            {
                File.Delete(leftover);
            }

            // A failed import into a new folder (a run folder named by --out) leaves no empty folder behind.
            if (!folderExisted && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
            }

            throw;
        }

        return new ImportSummary(storePath, created, mapping.Kind.ToString(), import.Procedure, sources, import.Measurements.Count, import.Units.Count, skipped);
    }

    private static StoreImport Build(ImportMapping mapping, IReadOnlyList<ImportEvent> events, IReadOnlyList<ImportedFile> files, IReadOnlyList<string> skipped, DateTimeOffset now)
    {
        var kind = mapping.Kind;
        var keyed = ImportLayout.Keys(kind, ImportLayout.Ordered(events));
        var firstTime = keyed.Where(k => k.Event.Timestamp is not null).GroupBy(k => (k.Event.Row, k.Event.Column))
            .ToDictionary(g => g.Key, g => g.Min(k => k.Event.Timestamp!.Value));
        var role = ImportLayout.RoleOf(kind);
        var measurements = keyed.Select(k => new Measurement
        {
            Key = k.Key,
            Kind = MeasurementKind.Read,
            Role = role,
            VoltageV = k.Event.ReadVoltageV,
            CurrentA = k.Event.CurrentA,
            ConductanceS = k.Event.ConductanceS,
            TargetS = k.Event.TargetS,
            ElapsedSeconds = kind == ImportKind.Retention ? ImportLayout.Elapsed(k.Event, firstTime) : k.Event.ElapsedSeconds,
            Timestamp = k.Event.Timestamp ?? now,
        }).ToList();
        var annotations = keyed.Select(k => new ImportAnnotation
        {
            Key = k.Key,
            SourceFile = Path.GetFileName(k.Event.File),
            SourceLine = k.Event.Line,
            Phase = k.Event.Phase,
            TemperatureK = k.Event.TemperatureK,
            Cycle = k.Event.Cycle,
            Repeat = k.Event.Repeat,
            Verified = k.Event.Verified,
            SetPulses = k.Event.SetPulses,
            ResetPulses = k.Event.ResetPulses,
            Level = k.Event.Level,
            WindowLowS = k.Event.Window?.LowS,
            WindowHighS = k.Event.Window?.HighS,
        }).ToList();
        var procedure = ImportLayout.ProcedureOf(kind);
        var section = ImportLayout.PlanSection(kind, keyed, [.. measurements.Select(m => m.ElapsedSeconds ?? 0)]);
        var plan = new JsonObject
        {
            ["name"] = "import",
            ["readVoltageV"] = Median(events.Select(e => e.ReadVoltageV).OfType<double>().ToList()) ?? 0.2,
            ["programVerify"] = ProgramVerify(kind, keyed, events),
        };
        if (kind != ImportKind.Cycling)
        {
            plan[procedure] = section;
        }

        return new StoreImport
        {
            Procedure = procedure,
            ParametersJson = section.ToJsonString(),
            PlanJson = plan.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
            Measurements = measurements,
            Units = ImportLayout.Units(kind, keyed),
            Annotations = annotations,
            Kind = kind.ToString(),
            MappingJson = mapping.Json,
            Files = files,
            SkippedRows = skipped,
            ImportedUtc = now,
        };
    }

    /// <summary>
    /// The verify settings the data imply: the tolerance is the median half-width of the verify windows, finalReads the
    /// most reads of one cell at one level (calibration divides the read noise of a mean of k reads by k). The pulse
    /// settings are placeholders: a foreign file does not say how the cells were programmed.
    /// </summary>
    private static JsonObject ProgramVerify(ImportKind kind, IReadOnlyList<(RecordKey Key, ImportEvent Event)> keyed, IReadOnlyList<ImportEvent> events)
    {
        var halfWidths = events.Where(e => e.Window is not null).Select(e => (e.Window!.HighS - e.Window.LowS) / 2).Where(w => w > 0).ToList();
        var finalReads = kind == ImportKind.ProgramVerify ? keyed.GroupBy(k => (k.Key.Row, k.Key.Column, k.Key.Step)).Max(g => g.Count()) : 1;
        var maxPulses = events.Max(e => (e.SetPulses ?? 0) + (e.ResetPulses ?? 0));
        JsonObject Ispp() => new() { ["startV"] = 1.0, ["stepV"] = 0.0, ["maxV"] = 1.0, ["widthSeconds"] = 1e-6 };
        return new JsonObject
        {
            ["toleranceS"] = Median(halfWidths) ?? 1e-6,
            ["maxPulses"] = Math.Clamp(maxPulses, 1, 100_000),
            ["set"] = Ispp(),
            ["reset"] = Ispp(),
            ["finalReads"] = Math.Clamp(finalReads, 1, 1000),
        };
    }

    /// <summary>An import into an existing store adds its procedure's section to the stored plan; the rest stays as measured.</summary>
    private static string MergePlan(string storedPlanJson, StoreImport import, ImportMapping mapping)
    {
        var plan = JsonNode.Parse(storedPlanJson)!.AsObject();
        if (mapping.Kind != ImportKind.Cycling)
        {
            plan[import.Procedure] = JsonNode.Parse(import.ParametersJson);
        }

        return plan.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static RunProvenance Provenance(ImportMapping mapping, IReadOnlyList<ImportEvent> events, IReadOnlyList<string> files) => new()
    {
        Chip = new ChipIdentity("imported", "unknown", "unknown", "n/a", mapping.Technology),
        Geometry = mapping.Geometry ?? new ArrayGeometry(events.Max(e => e.Row) + 1, events.Max(e => e.Column) + 1),
        VirtualClock = false,
        Driver = "import",
        Instruments = [.. files.Select(Path.GetFileName).OfType<string>()],
        SoftwareVersion = RunProvenance.CurrentSoftwareVersion,
    };

    /// <summary>The median by the project's one percentile definition; null for no values.</summary>
    private static double? Median(IReadOnlyList<double> values) =>
        values.Count == 0 ? null : OrderStatistics.Percentile([.. values.Order()], 50);
}
