using CimHil.Simulation.Engine;
using CimHil.Simulation.Onnx;

namespace CimHil.Cli.Tests;

/// <summary><c>worst-case --export-onnx</c> and <c>evaluate --export-onnx --export-chip</c> (issue #17, item 6).</summary>
public class OnnxExportCommandTests
{
    private static readonly string Config = CliHarness.ConfigVariant(s => s);

    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx");

    private static readonly string Data = $"{Path.Combine(Fixtures, "test-x.npy")},{Path.Combine(Fixtures, "test-y.npy")}";

    private static readonly string DeviceModel = Path.Combine(AppContext.BaseDirectory, "calibration", "emulator-rram.json");

    private static readonly string LeNet = Path.Combine(Fixtures, "lenet5.onnx");

    [Fact]
    public async Task WorstCase_ExportOnnx_WritesTheLargestBoundsChip_WithTheReportedAccuracy()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-onnx-export-wc").FullName;
        var file = Path.Combine(folder, "worst.onnx");

        var (code, output, error) = await CliHarness.RunAsync("worst-case", "--model", LeNet, "--data", Data, "--device-model", DeviceModel, "--k", "0,2", "--steps", "2", "--restarts", "0", "--mc-chips", "0", "--out", folder, "--export-onnx", file, "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        var exported = json.GetProperty("exportedOnnx");
        Assert.Equal(2.0, exported.GetProperty("k").GetDouble());
        Assert.Equal(json.GetProperty("points")[1].GetProperty("accuracy").GetDouble(), exported.GetProperty("accuracy").GetDouble());
        Assert.Equal(exported.GetProperty("accuracy").GetDouble(), await AccuracyAsync(file));
    }

    [Fact]
    public async Task Evaluate_ExportChip_WritesThatChip_WithItsReportedAccuracy()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-onnx-export-mc").FullName;
        var file = Path.Combine(folder, "chip2.onnx");

        var (code, output, error) = await CliHarness.RunAsync("evaluate", "--model", LeNet, "--data", Data, "--device-model", "gaussian:0.2", "--chips", "3", "--seed", "4", "--export-onnx", file, "--export-chip", "2", "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        var chip2 = json.GetProperty("chipAccuracies")[2].GetDouble();
        Assert.Equal(chip2, json.GetProperty("exportedOnnx").GetProperty("accuracy").GetDouble());
        Assert.Equal(chip2, await AccuracyAsync(file));
        Assert.NotEqual(json.GetProperty("nominalAccuracy").GetDouble(), chip2);
    }

    [Theory]
    [InlineData("evaluate", "--export-chip", "5")]
    [InlineData("worst-case", "--export-onnx-k", "7")]
    public async Task Export_OfAChipOrBoundNotInTheRun_IsAUsageErrorNamingIt(string command, string option, string value)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("cimhil-onnx-export-bad").FullName, "x.onnx");
        string[] run = command == "evaluate" ? ["--chips", "2"] : ["--k", "0,1", "--mc-chips", "0"];

        var (code, _, error) = await CliHarness.RunAsync([command, "--model", LeNet, "--data", Data, "--device-model", command == "evaluate" ? "none" : DeviceModel, .. run, "--export-onnx", file, option, value, "--config", Config]);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains($"{option} {value}", error, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Train_FromOnnx_FineTunesAndWritesOnnx_WithTheReportedAccuracy()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("cimhil-onnx-train").FullName, "lenet5-noise.onnx");

        var (code, output, error) = await CliHarness.RunAsync("train", "--from", LeNet, "--method", "noise", "--sigma", "0.05", "--data", Data, "--epochs", "1", "--train-samples", "64", "--batch-size", "32", "--out", file, "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        Assert.Equal(file, json.GetProperty("checkpoint").GetString());
        Assert.Equal(json.GetProperty("testAccuracy").GetDouble(), await AccuracyAsync(file));
        var tuned = (await OnnxImporter.LoadAsync(file)).Network;
        var original = (await OnnxImporter.LoadAsync(LeNet)).Network;
        Assert.NotEqual(original.WeightedLayers[0].Weight.Data, tuned.WeightedLayers[0].Weight.Data);
    }

    [Fact]
    public async Task Train_FromOnnx_ToACheckpoint_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("train", "--from", LeNet, "--data", Data, "--out", "x.safetensors", "--config", Config);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--out x.safetensors", error, StringComparison.Ordinal);
    }

    /// <summary>Accuracy of the written file, re-imported, on the fixture images (ONNX Runtime agreement is tested in Simulation.Tests).</summary>
    private static async Task<double> AccuracyAsync(string file)
    {
        var network = (await OnnxImporter.LoadAsync(file)).Network;
        var x = Simulation.Data.Npy.Parse(await File.ReadAllBytesAsync(Path.Combine(Fixtures, "test-x.npy")));
        var y = Simulation.Data.Npy.Parse(await File.ReadAllBytesAsync(Path.Combine(Fixtures, "test-y.npy")));
        var predicted = network.Predict(new Tensor(x.Floats!, x.Shape));
        return (double)predicted.Zip(y.Int64s!).Count(p => p.First == p.Second) / predicted.Length;
    }
}
