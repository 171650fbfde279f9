using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.Training;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil train --method</c> on a tiny training subset (1 epoch) so each run takes seconds.</summary>
public class TrainMethodTests
{
    private static async Task<(int Code, string Out, string Err, string Checkpoint)> TrainAsync(params string[] extra)
    {
        var config = CliHarness.ConfigVariant(t => t);
        var checkpoint = Path.Combine(Path.GetDirectoryName(config)!, "model.safetensors");
        string[] args = ["train", "--config", config, "--json", "--epochs", "1", "--train-samples", "256", "--batch-size", "64", "--out", checkpoint, .. extra];
        var (code, output, error) = await CliHarness.RunAsync(args);
        return (code, output, error, checkpoint);
    }

    [Theory]
    [InlineData("standard", "method", "standard")]
    [InlineData("noise", "method.sigma_rel", "0.05")]
    [InlineData("hessian", "method.lambda", "0.01")]
    [InlineData("biscale", "method.biscale_ratio", "4")]
    [InlineData("atrice", "method.k", "2")]
    [InlineData("rcn", "method.threshold_sigmas", "0.5")]
    public async Task Train_EachMethod_WritesACheckpointThatRecordsTheMethodAndItsParameters(string method, string key, string value)
    {
        var (code, output, error, checkpoint) = await TrainAsync(
            "--method", method, "--sigma", "0.05", "--lambda", "0.01", "--biscale-ratio", "4", "--k", "2", "--threshold", "0.5", "--adversary-steps", "2");

        Assert.True(code == ExitCodes.Success, error + output);
        var json = CliHarness.Json(output);
        Assert.Equal(method, json.GetProperty("method").GetString());
        var accuracy = json.GetProperty("testAccuracy").GetDouble();
        var file = await Safetensors.ReadAsync(checkpoint, CancellationToken.None);

        // The reported accuracy is the one the written network has on the full test set: evaluate the checkpoint again.
        var test = await FashionMnist.LoadSplitAsync(FashionMnist.ResolveDirectory(null), "t10k");
        var measured = Evaluator.Accuracy(await Checkpoint.LoadAsync(checkpoint), test);
        Assert.Equal(measured, accuracy, 1e-9);
        Assert.Equal(accuracy.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), file.Metadata["test_accuracy"]);
        Assert.Equal(method, file.Metadata["method"]);
        Assert.Equal(value, file.Metadata[key]);
        Assert.Equal("256", file.Metadata["train_samples"]);
    }

    [Fact]
    public async Task Train_RcnSearch_PicksAGridPointAndRecordsIt()
    {
        var (code, output, error, checkpoint) = await TrainAsync(
            "--method", "rcn", "--rcn-search", "--rcn-sigmas", "0.05,0.2", "--rcn-thresholds", "1,inf", "--rcn-rounds", "0", "--rcn-samples", "3");

        Assert.True(code == ExitCodes.Success, error + output);
        var search = CliHarness.Json(output).GetProperty("rcnSearch");
        Assert.Equal(4, search.GetProperty("candidates").GetArrayLength());
        var file = await Safetensors.ReadAsync(checkpoint, CancellationToken.None);
        Assert.Equal("true", file.Metadata["method.rcn_search"]);
        Assert.Contains(file.Metadata["method.sigma_rel"], new[] { "0.05", "0.2" });
        Assert.Equal("4", file.Metadata["method.rcn_search_candidates"]);
    }

    [Theory]
    [InlineData("--method", "dropout", "--method dropout")]
    [InlineData("--sigma", "-0.1", "--sigma")]
    [InlineData("--threshold", "low", "--threshold low")]
    [InlineData("--lambda", "-1", "--lambda")]
    [InlineData("--biscale-ratio", "1", "--biscale-ratio")]
    [InlineData("--variation", "gaussian:x", "--variation gaussian:x")]
    [InlineData("--rcn-thresholds", "1,big", "--rcn-thresholds")]
    public async Task Train_BadMethodValue_ExitsWithUsageNamingTheOption(string option, string value, string expected)
    {
        var (code, _, error, checkpoint) = await TrainAsync(option, value);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(File.Exists(checkpoint));
    }
}
