using CimHil.Workflows;
using Microsoft.Data.Sqlite;

namespace CimHil.Cli.Tests;

/// <summary>
/// What a finished run leaves: on a stdout that is a pipe, plain lines (no escape sequence even where TERM names a colour
/// terminal, as Spectre detects by TERM alone; each stage's start and finish instead of bars redrawn in place); in its folder,
/// the measurements as one SQLite file (no -wal, no -shm) that holds every measurement.
/// </summary>
public class FinishedRunTests(FinishedRun run) : IClassFixture<FinishedRun>
{
    [Fact]
    public void RedirectedStdout_GetsPlainStageLines_AndNoEscapeByte()
    {
        Assert.True(run.Code == ExitCodes.Success, run.Error);
        Assert.DoesNotContain("\u001b", run.Output, StringComparison.Ordinal);
        var lines = run.Output.Split('\n');
        foreach (var stage in RunPipeline.StageNames)
        {
            Assert.Contains(lines, l => l.StartsWith($"{stage}: started", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith($"{stage}: done in ", StringComparison.Ordinal));
        }

        Assert.Contains(lines, l => l.StartsWith("Report: ", StringComparison.Ordinal));
    }

    [Fact]
    public void FinishedFolder_HoldsTheStoreAsOneFile_WithEveryMeasurement()
    {
        Assert.True(run.Code == ExitCodes.Success, run.Error);
        var db = Path.Combine(run.Folder, RunPipeline.DatabaseFile);
        Assert.True(File.Exists(db), db);
        Assert.False(File.Exists(db + "-wal"), "the write-ahead log is left");
        Assert.False(File.Exists(db + "-shm"), "the shared-memory file is left");

        var results = CliHarness.Json(File.ReadAllText(Path.Combine(run.Folder, RunPipeline.ResultsFile)));
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM measurements";
        var stored = (long)count.ExecuteScalar()!;
        Assert.True(stored > 0);
        Assert.Equal(results.GetProperty("measurements").GetInt64(), stored);
    }
}
