using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CimHil.Characterization.Import;
using CimHil.Workflows;
using Microsoft.Data.Sqlite;

namespace CimHil.Cli.Tests;

/// <summary>
/// What a run leaves in its folder: a finished run's measurements as one SQLite file (no -wal, no -shm) holding every
/// measurement; a run that could not start keeps its reason in run.log; a failed import leaves no empty folder.
/// </summary>
public class RunFolderTests
{
    [Fact]
    public async Task FinishedRun_LeavesTheStoreAsOneFile_WithEveryMeasurement()
    {
        var (config, _) = RunPipelineTests.SmallRun();

        var (code, output, error) = await CliProcess.RunAsync(AppContext.BaseDirectory, "run", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var results = CliHarness.Json(output);
        var folder = results.GetProperty("folder").GetString()!;
        var db = Path.Combine(folder, RunPipeline.DatabaseFile);
        Assert.True(File.Exists(db));
        Assert.False(File.Exists(db + "-wal"), "the write-ahead log is left");
        Assert.False(File.Exists(db + "-shm"), "the shared-memory file is left");
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = db, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM measurements";
        var stored = (long)count.ExecuteScalar()!;
        Assert.True(stored > 0);
        Assert.Equal(results.GetProperty("measurements").GetInt64(), stored);
    }

    [Fact]
    public async Task Run_WithABenchThatDoesNotAnswer_KeepsItsFolderWithTheReasonInRunLog()
    {
        var root = Directory.CreateTempSubdirectory("cimhil-run-").FullName;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there any more: the connection is refused
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["chip"]!["driver"] = "cimhil-board";
            node["chip"]!["settings"] = new JsonObject { ["resource"] = $"TCPIP0::127.0.0.1::{port}::SOCKET" };
            node["run"] = new JsonObject { ["outputRoot"] = root };
            return node.ToJsonString();
        });

        var (code, _, error) = await CliProcess.RunAsync(AppContext.BaseDirectory, "run", "--config", config);

        Assert.NotEqual(ExitCodes.Success, code);
        var folder = Assert.Single(Directory.GetDirectories(root));
        var log = await File.ReadAllTextAsync(Path.Combine(folder, "run.log"));
        Assert.Contains("Run stopped: ", log, StringComparison.Ordinal);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), log, StringComparison.Ordinal);
        Assert.DoesNotContain("Run stopped", error, StringComparison.Ordinal); // the console has the command's own error line
    }

    [Fact]
    public async Task FailedImportIntoANewFolder_LeavesNoEmptyFolder()
    {
        var dir = Import.ImportFiles.TempDir();
        var data = Import.ImportFiles.Write(dir, "pv.csv", new Import.GeneratedArray(1, cells: 8).CsvMicrosiemens());
        var folder = Path.Combine(dir, "run-1");
        using var cancel = new CancellationTokenSource();
        var options = new ImportOptions { Progress = new SynchronousProgress<long>(_ => cancel.Cancel()) };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            MeasurementImporter.ImportAsync([data], ImportMapping.Parse(Import.Mappings.CsvMicrosiemens), Path.Combine(folder, "measurements.db"), options, cancel.Token));

        Assert.False(Directory.Exists(folder), string.Join(", ", Directory.Exists(folder) ? Directory.GetFileSystemEntries(folder) : []));
        Assert.True(Directory.Exists(dir));
    }
}
