using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Workflows;

namespace CimHil.Cli.Tests;

/// <summary>Commands that need no bench, run from an empty folder (issue #20, items 7 and 9).</summary>
public class NoBenchCommandTests
{
    private const string DefaultsNote = "cimhil: no hil-config.json here; this command needs no bench, so it runs on the built-in defaults (docs/cli.md)\n";

    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    private static readonly string DeviceModel = Path.Combine(AppContext.BaseDirectory, "calibration", "emulator-rram.json");

    [Fact]
    public async Task Evaluate_FromAnEmptyFolder_RunsOnTheBuiltInDefaults_AndSaysSoOnce()
    {
        var (code, output, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), "evaluate", "--model", Model, "--device-model", DeviceModel, "--chips", "2", "--images", "20", "--json");

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(DefaultsNote, error);
        Assert.InRange(CliHarness.Json(output).GetProperty("mean").GetDouble(), 0.05, 1.0);
    }

    [Fact]
    public void BuiltInDefaults_StudyUsesTheCalibrationShippedBesideTheProgram_AndTheDefaultSafetyLimits()
    {
        // study from an empty folder: "calibration/emulator-rram.json" relative to that folder does not exist.
        var config = HilConfigLoader.BuiltInDefaults();
        var study = StudySettings.Parse(config.Section("study"));
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "calibration", "emulator-rram.json"), study.DeviceModel);
        Assert.True(File.Exists(study.DeviceModel));
        Assert.Equal(SafetyLimits.Default, config.Chip.Safety);
    }

    [Fact]
    public async Task Evaluate_FromAnEmptyFolder_Quiet_SaysNothing()
    {
        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), "evaluate", "--model", Model, "--device-model", "gaussian:0.1", "--chips", "2", "--images", "20", "--json", "--quiet");

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(string.Empty, error);
    }

    [Fact]
    public async Task Train_WithoutOut_WritesItsCheckpointUnderModels_NotTheFolderRoot()
    {
        var folder = CliProcess.EmptyFolder();

        var (code, output, error) = await CliProcess.RunAsync(folder, "train", "--epochs", "1", "--train-samples", "64", "--json");

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(Path.Combine("models", "lenet5-fmnist.safetensors"), CliHarness.Json(output).GetProperty("checkpoint").GetString());
        Assert.True(File.Exists(Path.Combine(folder, "models", "lenet5-fmnist.safetensors")));
        Assert.Empty(Directory.GetFiles(folder, "*.safetensors"));
    }

    [Fact]
    public async Task InstrumentsProbe_GpibWithoutAVisaLibrary_IsAnEnvironmentError()
    {
        var (code, _, error) = await CliProcess.RunAsync(CliProcess.EmptyFolder(), "instruments", "probe", "GPIB0::22::INSTR");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no transport can reach a GPIB resource: built-in transports tried: socket, serial, VXI-11, HiSLIP, usbtmc (none serves GPIB); no vendor VISA library is installed (looked for libvisa.so.0", error, StringComparison.Ordinal);
        Assert.Contains("install a vendor VISA with a GPIB driver (NI-VISA with NI-488.2, Keysight IO Libraries Suite)", error, StringComparison.Ordinal);
    }
}
