using System.Globalization;
using CimHil.Characterization.Store;

namespace CimHil.Characterization.Export;

/// <summary>
/// The one documented schema a store is exported in (docs/import.md, "Export schema"): the store's own column names,
/// times as ISO 8601 UTC (timestamp_utc, not .NET ticks), imported records' provenance columns joined in.
/// </summary>
public static class ExportSchema
{
    public static readonly IReadOnlyList<ExportColumn> MeasurementColumns =
    [
        new("procedure", ExportType.Text, "procedure name (multilevel, readNoise, drift, …)"),
        new("row", ExportType.Integer, "word line, from 0"),
        new("col", ExportType.Integer, "bit line, from 0"),
        new("step", ExportType.Integer, "step of the procedure at the cell: level, time point, repeat, cycle"),
        new("seq", ExportType.Integer, "order inside the step"),
        new("kind", ExportType.Text, "pulse, read or form"),
        new("role", ExportType.Text, "verify, final, noise, drift, probe, cycle, …"),
        new("polarity", ExportType.Text, "set or reset (pulses)"),
        new("voltage_v", ExportType.Real, "pulse amplitude or read voltage, V"),
        new("width_seconds", ExportType.Real, "pulse width, s"),
        new("gate_v", ExportType.Real, "gate voltage, V"),
        new("compliance_a", ExportType.Real, "compliance current, A"),
        new("current_a", ExportType.Real, "read current, A"),
        new("conductance_s", ExportType.Real, "read conductance, S"),
        new("target_s", ExportType.Real, "target conductance, S"),
        new("elapsed_seconds", ExportType.Real, "time since programming, s"),
        new("formed", ExportType.Real, "forming result, 1 or 0"),
        new("timestamp_utc", ExportType.Text, "time of the operation, ISO 8601 UTC"),
        new("session", ExportType.Integer, "session (start or resume) that took it"),
        new("uncertain", ExportType.Text, "applied, not-applied or unknown for a pulse whose exchange failed"),
        new("source_file", ExportType.Text, "imported records: the file"),
        new("source_line", ExportType.Real, "imported records: the line (HDF5: element index + 1)"),
        new("phase", ExportType.Text, "imported records: phase label (pre-bake, post-bake, …)"),
        new("temperature_k", ExportType.Real, "imported records: temperature, K"),
        new("cycle", ExportType.Real, "imported records: cycle index"),
        new("repeat_index", ExportType.Real, "imported records: repeat index of a repeated read"),
        new("verified", ExportType.Real, "imported records: verify success, 1 or 0"),
        new("set_pulses", ExportType.Real, "imported records: SET pulse count"),
        new("reset_pulses", ExportType.Real, "imported records: RESET pulse count"),
        new("level", ExportType.Real, "imported records: level index"),
        new("window_low_s", ExportType.Real, "imported records: verify window low bound, S"),
        new("window_high_s", ExportType.Real, "imported records: verify window high bound, S"),
    ];

    public static readonly IReadOnlyList<ExportColumn> UnitColumns =
    [
        new("procedure", ExportType.Text, "procedure name"),
        new("row", ExportType.Integer, "word line"),
        new("col", ExportType.Integer, "bit line"),
        new("step", ExportType.Integer, "step"),
        new("outcome", ExportType.Text, "converged, not-converged, ok, stuck-on, stuck-off, formed, not-formed, read"),
        new("target_s", ExportType.Real, "target conductance, S"),
        new("value_s", ExportType.Real, "resulting conductance, S"),
        new("pulses", ExportType.Integer, "pulses applied"),
        new("session", ExportType.Integer, "session that completed it"),
    ];

    public static readonly IReadOnlyList<ExportColumn> RunColumns =
    [
        new("key", ExportType.Text, "provenance item"),
        new("value", ExportType.Text, "its value"),
    ];

    public static readonly IReadOnlyList<ExportColumn> ImportColumns =
    [
        new("import_id", ExportType.Integer, "import number"),
        new("imported_utc", ExportType.Text, "import time, ISO 8601 UTC"),
        new("kind", ExportType.Text, "ProgramVerify, Retention, ReadNoise or Cycling"),
        new("procedure", ExportType.Text, "procedure the records were stored as"),
        new("file", ExportType.Text, "source file name"),
        new("sha256", ExportType.Text, "SHA-256 of the source file"),
        new("rows", ExportType.Integer, "rows imported from it"),
        new("skipped_rows", ExportType.Integer, "rows skipped (--skip-bad-rows)"),
        new("mapping_json", ExportType.Text, "the mapping file used"),
    ];

    /// <summary>The store as the four export tables: measurements, units, run, imports.</summary>
    public static IReadOnlyList<ExportTable> Tables(MeasurementStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        var notes = store.ImportAnnotations();
        var measurements = new List<object?[]>();

        // Everything, including records aborted attempts left: an export is the whole store.
        foreach (var m in store.Measurements(includeUnfinished: true))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var a = notes.GetValueOrDefault(m.Key);
            measurements.Add([
                m.Key.Procedure, m.Key.Row, m.Key.Column, m.Key.Step, m.Key.Seq, m.Kind.ToString().ToLowerInvariant(), m.Role,
                m.Polarity?.ToString().ToLowerInvariant(), m.VoltageV, m.WidthSeconds, m.GateVoltageV, m.ComplianceA, m.CurrentA,
                m.ConductanceS, m.TargetS, m.ElapsedSeconds, Flag(m.Formed), Iso(m.Timestamp), m.Session, Uncertain(m.Uncertain),
                a?.SourceFile, (double?)a?.SourceLine, a?.Phase, a?.TemperatureK, (double?)a?.Cycle, (double?)a?.Repeat, Flag(a?.Verified),
                (double?)a?.SetPulses, (double?)a?.ResetPulses, (double?)a?.Level, a?.WindowLowS, a?.WindowHighS,
            ]);
        }

        var units = store.Units().Select(u => new object?[]
        {
            u.Key.Procedure, u.Key.Row, u.Key.Column, u.Key.Step, u.Outcome, u.TargetS, u.ValueS, u.Pulses, u.Session,
        }).ToList();
        var r = store.Run;
        var p = r.Provenance;
        var run = new (string, string)[]
        {
            ("run_id", r.RunId), ("name", r.Name), ("created_utc", Iso(r.CreatedUtc)), ("finished_utc", r.FinishedUtc is { } f ? Iso(f) : string.Empty),
            ("sessions", r.Sessions.ToString(CultureInfo.InvariantCulture)), ("chip", p.Chip.ToString()), ("technology", p.Chip.Technology.ToString()),
            ("rows", p.Geometry.Rows.ToString(CultureInfo.InvariantCulture)), ("columns", p.Geometry.Columns.ToString(CultureInfo.InvariantCulture)),
            ("virtual_clock", p.VirtualClock ? "true" : "false"), ("driver", p.Driver), ("instruments", string.Join("; ", p.Instruments)),
            ("config_hash", p.ConfigHash ?? string.Empty), ("software_version", p.SoftwareVersion), ("plan_hash", r.PlanHash), ("plan_json", r.PlanJson),
        }.Select(kv => new object?[] { kv.Item1, kv.Item2 }).ToList();
        var imports = store.Imports().SelectMany(i => i.Files.Select(file => new object?[]
        {
            i.ImportId, Iso(i.ImportedUtc), i.Kind, i.Procedure, file.Name, file.Sha256, file.Rows, file.SkippedRows, i.MappingJson,
        })).ToList();
        return
        [
            new ExportTable("measurements", MeasurementColumns, measurements),
            new ExportTable("units", UnitColumns, units),
            new ExportTable("run", RunColumns, run),
            new ExportTable("imports", ImportColumns, imports),
        ];
    }

    private static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static double? Flag(bool? b) => b is { } v ? (v ? 1 : 0) : null;

    private static string? Uncertain(UncertainOutcome? u) => u switch
    {
        UncertainOutcome.Applied => "applied",
        UncertainOutcome.NotApplied => "not-applied",
        UncertainOutcome.Unknown => "unknown",
        _ => null,
    };
}
