using System.Globalization;
using CimHil.Core.IO;
using CsvHelper;

namespace CimHil.Characterization.Export;

/// <summary>Writes the export tables as one CSV file each (measurements.csv, units.csv, run.csv, imports.csv), each atomically.</summary>
public static class CsvStoreExport
{
    public static async Task<IReadOnlyList<string>> WriteAsync(IReadOnlyList<ExportTable> tables, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        Directory.CreateDirectory(directory);
        var paths = new List<string>();
        foreach (var table in tables)
        {
            var path = Path.Combine(directory, table.Name + ".csv");
            using (var w = AtomicFile.CreateText(path))
            {
                await using (var csv = new CsvWriter(w, CultureInfo.InvariantCulture, leaveOpen: true))
                {
                    foreach (var c in table.Columns)
                    {
                        csv.WriteField(c.Name);
                    }

                    await csv.NextRecordAsync().ConfigureAwait(false);
                    foreach (var row in table.Rows)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        foreach (var v in row)
                        {
                            csv.WriteField(Text(v));
                        }

                        await csv.NextRecordAsync().ConfigureAwait(false);
                    }
                }

                w.Commit();
            }

            paths.Add(path);
        }

        return paths;
    }

    /// <summary>Numbers round-trip ("R"), null is an empty field.</summary>
    private static string Text(object? v) => v switch
    {
        null => string.Empty,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? string.Empty,
    };
}
