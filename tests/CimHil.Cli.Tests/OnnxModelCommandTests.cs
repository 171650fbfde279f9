namespace CimHil.Cli.Tests;

/// <summary><c>--model net.onnx</c> and <c>--data x.npy,y.npy</c> on evaluate and worst-case (issue #17, item 4).</summary>
public class OnnxModelCommandTests
{
    private static readonly string Config = CliHarness.ConfigVariant(s => s);

    private static readonly string Fixtures = Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx");

    private static readonly string Data = $"{Path.Combine(Fixtures, "test-x.npy")},{Path.Combine(Fixtures, "test-y.npy")}";

    private static readonly string DeviceModel = Path.Combine(AppContext.BaseDirectory, "calibration", "emulator-rram.json");

    private static string Model(string name) => Path.Combine(Fixtures, name + ".onnx");

    [Theory]
    [InlineData("residual-cnn", false)]
    [InlineData("depthwise-separable", true)]
    public async Task Evaluate_OnnxModelOnNpyData_RunsTheMonteCarloOnAllItsImages(string name, bool fold)
    {
        string[] args = ["evaluate", "--model", Model(name), "--data", Data, "--device-model", DeviceModel, "--chips", "2", "--bits", "6", "--json", "--config", Config];
        var (code, output, error) = await CliHarness.RunAsync(fold ? [.. args, "--fold-batchnorm"] : args);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        Assert.Equal("onnx", json.GetProperty("architecture").GetString());
        Assert.Equal(256, json.GetProperty("images").GetInt32());
        Assert.Equal(2, json.GetProperty("chips").GetInt32());

        // 6-bit weights without variation stay near the float accuracies recorded by PyTorch (0.69 and 0.88 on these images).
        Assert.InRange(json.GetProperty("nominalAccuracy").GetDouble(), name == "residual-cnn" ? 0.55 : 0.75, 0.95);
    }

    [Fact]
    public async Task WorstCase_OnnxLeNet5_SearchesSavesAndVerifiesItsDeltaFiles()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-onnx-wc").FullName;

        var (code, output, error) = await CliHarness.RunAsync("worst-case", "--model", Model("lenet5"), "--data", Data, "--device-model", DeviceModel, "--k", "0,1", "--steps", "2", "--restarts", "0", "--mc-chips", "2", "--out", folder, "--json", "--config", Config);

        Assert.True(code == ExitCodes.Success, error);
        var points = CliHarness.Json(output).GetProperty("points");
        Assert.Equal(2, points.GetArrayLength());
        Assert.True(points[1].GetProperty("accuracy").GetDouble() <= points[0].GetProperty("accuracy").GetDouble());
        var saved = Directory.GetFiles(folder, "*.safetensors").Order().Last();
        var (verifyCode, verifyOut, verifyError) = await CliHarness.RunAsync("worst-case", "--model", Model("lenet5"), "--data", Data, "--device-model", DeviceModel, "--verify", saved, "--json", "--config", Config);
        Assert.True(verifyCode == ExitCodes.Success, verifyError);
        Assert.True(CliHarness.Json(verifyOut).GetProperty("reproduced").GetBoolean());
    }

    [Fact]
    public async Task Evaluate_NpyInputsOfTheWrongShape_IsBadInputNamingFileAndShapes()
    {
        var folder = Directory.CreateTempSubdirectory("cimhil-onnx-npy").FullName;
        var x = Path.Combine(folder, "x.npy");
        await File.WriteAllBytesAsync(x, Simulation.Data.Npy.Serialize(new Simulation.Data.NpyArray([2, 784], "<f4", new float[2 * 784], null)));
        var y = Path.Combine(folder, "y.npy");
        await File.WriteAllBytesAsync(y, Simulation.Data.Npy.Serialize(new Simulation.Data.NpyArray([2], "<i8", null, [1, 2])));

        var (code, _, error) = await CliHarness.RunAsync("evaluate", "--model", Model("lenet5"), "--data", $"{x},{y}", "--device-model", "none", "--chips", "1", "--config", Config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("x.npy: samples have shape [784], the model expects [1, 28, 28]", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_TruncatedOnnx_IsBadInputNamingTheFile()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cimhil-onnx-cut").FullName, "cut.onnx");
        var bytes = await File.ReadAllBytesAsync(Model("mlp"));
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 3)]);

        var (code, _, error) = await CliHarness.RunAsync("evaluate", "--model", path, "--data", Data, "--device-model", "none", "--chips", "1", "--config", Config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("cut.onnx: ", error, StringComparison.Ordinal);
        Assert.Contains("truncated", error, StringComparison.Ordinal);
    }
}
