using System.CommandLine;
using CimHil.Characterization.Export;
using CimHil.Characterization.Store;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil export</c>: write a whole measurement store as CSV files or one HDF5 file, in the documented export schema.</summary>
public static class ExportCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var database = new Argument<string>("database") { Description = "Measurement store to export" };
        var format = new Option<string>("--format") { Description = "csv (a folder of measurements.csv, units.csv, run.csv, imports.csv) or hdf5 (one file)", Required = true };
        format.AcceptOnlyFromAmong("csv", "hdf5");
        var output = new Option<string>("--out") { Description = "Folder (csv) or file (hdf5) to write", Required = true };
        var command = new Command("export", "Export a measurement store as CSV or HDF5 (one schema: the store's column names, times as ISO 8601 UTC)")
        {
            database, format, output,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var db = parse.GetValue(database)!;
            var outPath = parse.GetValue(output)!;
            // Read through MeasurementStore.Read: a read-only opening must not leave -wal/-shm beside the store.
            var tables = MeasurementStore.Read(db, DateTimeOffset.UtcNow, store => ExportSchema.Tables(store, ct));
            if (parse.GetValue(format) == "hdf5")
            {
                await Hdf5StoreExport.WriteAsync(tables, outPath, ct);
            }
            else
            {
                await CsvStoreExport.WriteAsync(tables, outPath, ct);
            }

            services.Output.WriteLine($"exported {db} ({string.Join(", ", tables.Select(t => $"{t.Rows.Count} {t.Name}"))}) → {outPath}");
            return ExitCodes.Success;
        });
        return command;
    }
}
