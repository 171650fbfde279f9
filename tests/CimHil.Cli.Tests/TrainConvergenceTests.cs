using CimHil.Simulation.Engine;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil train --validation-samples --patience --schedule</c> on a tiny training subset.</summary>
public class TrainConvergenceTests
{
    [Fact]
    public async Task Train_WithValidationAndCosine_RecordsEpochsRunBestEpochAndRates()
    {
        var config = CliHarness.ConfigVariant(t => t);
        var checkpoint = Path.Combine(Path.GetDirectoryName(config)!, "model.safetensors");
        var (code, output, error) = await CliHarness.RunAsync(
            "train", "--config", config, "--json", "--epochs", "2", "--train-samples", "256", "--batch-size", "64", "--out", checkpoint,
            "--validation-samples", "56", "--patience", "1", "--schedule", "cosine");

        Assert.True(code == ExitCodes.Success, error + output);
        var json = CliHarness.Json(output);
        var epochs = json.GetProperty("epochs").EnumerateArray().ToArray();
        var run = json.GetProperty("epochsRun").GetInt32();
        Assert.Equal(epochs.Length, run);
        Assert.Equal(1e-3, epochs[0].GetProperty("learningRate").GetDouble(), 9);
        Assert.All(epochs, e => Assert.True(e.GetProperty("validationAccuracy").GetDouble() is >= 0 and <= 1));
        var file = await Safetensors.ReadAsync(checkpoint, CancellationToken.None);
        Assert.Equal(run.ToString(System.Globalization.CultureInfo.InvariantCulture), file.Metadata["epochs_run"]);
        Assert.Equal(json.GetProperty("bestEpoch").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture), file.Metadata["best_epoch"]);
        Assert.Equal("cosine", file.Metadata["schedule"]);
        Assert.Equal("56", file.Metadata["validation_samples"]);
    }

    [Fact]
    public async Task Train_PatienceWithoutValidation_ExitsTwoNamingTheOption()
    {
        var (code, _, error) = await CliHarness.RunAsync("train", "--epochs", "1", "--patience", "2");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--patience 2", error, StringComparison.Ordinal);
    }
}
