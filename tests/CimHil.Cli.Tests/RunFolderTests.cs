using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CimHil.Characterization.Import;
using CimHil.Workflows;

namespace CimHil.Cli.Tests;

/// <summary>
/// What a run that failed leaves: a run that could not reach its bench keeps its folder with the reason in run.log; a failed
/// import into a new folder leaves no empty folder (a finished run's folder: <see cref="FinishedRunTests"/>).
/// </summary>
public class RunFolderTests
{
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
