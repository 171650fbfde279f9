using CimHil.Characterization.Import;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Jobs;

/// <summary>
/// <c>cimhil import</c> as a server job: foreign measurement files into a new run folder's measurements.db, so
/// <c>calibrate</c>, <c>evaluate</c> and <c>worst-case</c> of that run use them. Needs no chip. The mapping was parsed
/// and the files found when the request came (a wrong one is a 400 then); this reads and stores them.
/// </summary>
public sealed class ImportJob(IReadOnlyList<string> files, ImportMapping mapping, string folder, ImportOptions options)
{
    public async Task<object> RunAsync(OperationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Directory.CreateDirectory(folder);
        context.Publish(BenchEventTypes.Stage, new LiveProgress(nameof(StageProgress), new StageProgress("import", 0, 1, $"{files.Count} files"), null));
        var store = Path.Combine(folder, RunPipeline.DatabaseFile);

        // The importer parses and writes synchronously inside one transaction: off the request threads.
        var summary = await Task.Run(() => MeasurementImporter.ImportAsync(files, mapping, store, options, context.CancellationToken), context.CancellationToken).ConfigureAwait(false);
        foreach (var skipped in summary.SkippedRows)
        {
            context.Log.Warning("Import skipped {Row}", skipped);
        }

        context.Publish(BenchEventTypes.Stage, new LiveProgress(nameof(StageProgress), new StageProgress("import", 1, 1, $"{summary.Records} records in {summary.Units} units"), null));
        return summary;
    }
}
