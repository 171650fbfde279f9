using System.CommandLine;
using CimHil.Characterization.Import;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil import</c>: bring foreign measurement files (CSV, TSV, whitespace text, HDF5) into a measurement store.</summary>
public static class ImportCommand
{
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var files = new Argument<string[]>("files") { Description = "Files to import, all laid out as the mapping says", Arity = ArgumentArity.OneOrMore };
        var map = new Option<string>("--map") { Description = "Mapping file (JSON): which column or dataset holds what, in which unit (docs/import.md)", Required = true };
        var output = new Option<string>("--out") { Description = "Measurement store to create, or to add the procedure to", Required = true };
        var skip = new Option<bool>("--skip-bad-rows") { Description = "Skip rows that do not parse, and list them in the summary, instead of stopping" };
        var name = new Option<string>("--name") { Description = "Run name of a store the import creates", DefaultValueFactory = _ => "import" };
        var json = CliServices.JsonOption();
        var command = new Command("import", "Import foreign measurements into a measurement store, with provenance, so calibrate, report, evaluate, worst-case and run use them")
        {
            files, map, output, skip, name, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var mapping = ImportMapping.Load(parse.GetValue(map)!);
            var summary = await MeasurementImporter.ImportAsync(parse.GetValue(files)!, mapping, parse.GetValue(output)!,
                new ImportOptions { SkipBadRows = parse.GetValue(skip), Name = parse.GetValue(name)! }, ct);
            if (parse.GetValue(json))
            {
                services.WriteJson(summary);
                return ExitCodes.Success;
            }

            var w = services.Output;
            w.WriteLine($"{(summary.CreatedStore ? "created" : "added to")} {summary.Store}: {summary.Records} {summary.Kind} records in {summary.Units} units as procedure {summary.Procedure}");
            foreach (var f in summary.Files)
            {
                w.WriteLine($"  {f.Name} sha256 {f.Sha256}: {f.Rows} rows imported, {f.SkippedRows} skipped");
            }

            if (summary.SkippedRows.Count > 0)
            {
                w.WriteLine($"  {summary.SkippedRows.Count} rows skipped:");
                foreach (var row in summary.SkippedRows)
                {
                    w.WriteLine($"    {row}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
