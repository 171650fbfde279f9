using System.Globalization;
using CimHil.Core.IO;
using CsvHelper;

namespace CimHil.Characterization.Store;

/// <summary>Writes a run as CSV (each file atomically, <see cref="AtomicFile"/>): measurements.csv (every pulse and read), units.csv (unit outcomes) and run.csv (provenance).</summary>
public static class CsvExport
{
    /// <summary>Writes the three files into <paramref name="directory"/> and returns their paths.</summary>
    public static IReadOnlyList<string> Write(MeasurementStore store, string directory, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(directory);
        var measurements = Path.Combine(directory, "measurements.csv");
        using (var w = AtomicFile.CreateText(measurements))
        using (var csv = new CsvWriter(w, CultureInfo.InvariantCulture))
        {
            foreach (var h in new[] { "procedure", "row", "column", "step", "seq", "kind", "role", "polarity", "voltageV", "widthSeconds", "gateVoltageV", "complianceA", "currentA", "conductanceS", "targetS", "elapsedSeconds", "formed", "timestampUtc", "session", "uncertain" })
            {
                csv.WriteField(h);
            }

            csv.NextRecord();
            // Everything, including the records aborted attempts left (their session differs from their unit's, or they have no unit).
            foreach (var m in store.Measurements(includeUnfinished: true))
            {
                cancellationToken.ThrowIfCancellationRequested();
                csv.WriteField(m.Key.Procedure);
                csv.WriteField(m.Key.Row);
                csv.WriteField(m.Key.Column);
                csv.WriteField(m.Key.Step);
                csv.WriteField(m.Key.Seq);
                csv.WriteField(m.Kind.ToString().ToLowerInvariant());
                csv.WriteField(m.Role);
                csv.WriteField(m.Polarity?.ToString().ToLowerInvariant() ?? string.Empty);
                foreach (var d in new[] { m.VoltageV, m.WidthSeconds, m.GateVoltageV, m.ComplianceA, m.CurrentA, m.ConductanceS, m.TargetS, m.ElapsedSeconds })
                {
                    csv.WriteField(d is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
                }

                csv.WriteField(m.Formed is { } f ? (f ? "true" : "false") : string.Empty);
                csv.WriteField(m.Timestamp.ToString("O", CultureInfo.InvariantCulture));
                csv.WriteField(m.Session);
                csv.WriteField(m.Uncertain switch
                {
                    UncertainOutcome.Applied => "applied",
                    UncertainOutcome.NotApplied => "not-applied",
                    UncertainOutcome.Unknown => "unknown",
                    _ => string.Empty,
                });
                csv.NextRecord();
            }

            w.Commit();
        }

        var units = Path.Combine(directory, "units.csv");
        using (var w = AtomicFile.CreateText(units))
        using (var csv = new CsvWriter(w, CultureInfo.InvariantCulture))
        {
            foreach (var h in new[] { "procedure", "row", "column", "step", "outcome", "targetS", "valueS", "pulses", "session" })
            {
                csv.WriteField(h);
            }

            csv.NextRecord();
            foreach (var u in store.Units())
            {
                csv.WriteField(u.Key.Procedure);
                csv.WriteField(u.Key.Row);
                csv.WriteField(u.Key.Column);
                csv.WriteField(u.Key.Step);
                csv.WriteField(u.Outcome);
                csv.WriteField(u.TargetS is { } t ? t.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
                csv.WriteField(u.ValueS is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : string.Empty);
                csv.WriteField(u.Pulses);
                csv.WriteField(u.Session);
                csv.NextRecord();
            }

            w.Commit();
        }

        var run = Path.Combine(directory, "run.csv");
        using (var w = AtomicFile.CreateText(run))
        using (var csv = new CsvWriter(w, CultureInfo.InvariantCulture))
        {
            var r = store.Run;
            var p = r.Provenance;
            var rows = new (string, string)[]
            {
                ("runId", r.RunId), ("name", r.Name), ("createdUtc", r.CreatedUtc.ToString("O", CultureInfo.InvariantCulture)),
                ("finishedUtc", r.FinishedUtc?.ToString("O", CultureInfo.InvariantCulture) ?? string.Empty), ("sessions", r.Sessions.ToString(CultureInfo.InvariantCulture)),
                ("chip", p.Chip.ToString()), ("geometry", p.Geometry.ToString()), ("virtualClock", p.VirtualClock ? "true" : "false"),
                ("driver", p.Driver), ("instruments", string.Join("; ", p.Instruments)), ("configHash", p.ConfigHash ?? string.Empty),
                ("softwareVersion", p.SoftwareVersion), ("planHash", r.PlanHash),
            };
            csv.WriteField("key");
            csv.WriteField("value");
            csv.NextRecord();
            foreach (var (k, v) in rows)
            {
                csv.WriteField(k);
                csv.WriteField(v);
                csv.NextRecord();
            }

            w.Commit();
        }

        return [measurements, units, run];
    }
}
