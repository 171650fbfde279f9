namespace CimHil.Cli.Tests;

/// <summary>The in-process emulator keeps its array in emulator.stateFile across commands (issue #20, items 3 and 4).</summary>
public class EmulatorStateTests
{
    private readonly string _config = CliHarness.ConfigVariant(s => s);

    private string StateFile => Path.Combine(Path.GetDirectoryName(_config)!, "runs", "emulator-state.bin");

    [Fact]
    public async Task FormThenProgramThenRead_SeeEachOthersEffects_AndResetStartsOver()
    {
        var pristine = await ReadCellSAsync(2, 3);
        Assert.InRange(pristine, -1e-6, 0.2e-6);

        var (formCode, formed, formError) = await CliHarness.RunAsync("form", "--cell", "2,3", "--json", "--config", _config);
        Assert.True(formCode == ExitCodes.Success, formError);
        Assert.True(CliHarness.Json(formed).GetProperty("formed").GetBoolean());
        Assert.True(File.Exists(StateFile));

        var (resetCode, _, resetError) = await CliHarness.RunAsync("program", "--cell", "2,3", "--polarity", "reset", "--amplitude", "2", "--width", "1e-6", "--config", _config);
        Assert.True(resetCode == ExitCodes.Success, resetError);
        Assert.Equal(string.Empty, resetError);
        var afterReset = await ReadCellSAsync(2, 3);
        var (setCode, _, setError) = await CliHarness.RunAsync("program", "--cell", "2,3", "--polarity", "set", "--amplitude", "2", "--width", "1e-6", "--config", _config);
        Assert.True(setCode == ExitCodes.Success, setError);
        var afterSet = await ReadCellSAsync(2, 3);

        Assert.True(afterSet > 2 * afterReset, $"SET {afterSet} S, RESET {afterReset} S");
        Assert.True(afterReset > 10 * pristine, $"RESET {afterReset} S, pristine {pristine} S");

        var (code, output, error) = await CliHarness.RunAsync("emulator", "reset", "--config", _config);
        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal($"Deleted {StateFile}: the next command starts on the pristine array.\n", output);
        Assert.InRange(await ReadCellSAsync(2, 3), -1e-6, 0.2e-6);
    }

    [Fact]
    public async Task Reset_OnAFreshCloneWithoutARunsFolder_SaysTheArrayIsPristine()
    {
        // File.Delete throws for a missing folder: a fresh clone's `./cimhil emulator reset` ended in exit 3.
        Assert.False(Directory.Exists(Path.GetDirectoryName(StateFile)));

        var (code, output, error) = await CliHarness.RunAsync("emulator", "reset", "--config", _config);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal($"{StateFile} does not exist: the array is already pristine.\n", output);
    }

    [Fact]
    public async Task DamagedStateFile_ExitsWith3_NamingTheFileAndTheReset()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(StateFile)!);
        await File.WriteAllTextAsync(StateFile, "not a state");

        var (code, _, error) = await CliHarness.RunAsync("read", "--cell", "0,0", "--config", _config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"cimhil: {StateFile}: the emulator state file cannot be used (not an emulator state file of this version); run 'cimhil emulator reset' to start over from the pristine array\n", error);
    }

    [Fact]
    public async Task StateOfAnotherChip_ExitsWith3()
    {
        var (formCode, _, formError) = await CliHarness.RunAsync("form", "--cell", "0,0", "--config", _config);
        Assert.True(formCode == ExitCodes.Success, formError);
        var otherSeed = _config + ".seed2.json";
        File.WriteAllText(otherSeed, File.ReadAllText(_config).Replace("\"seed\": 1,", "\"seed\": 2,", StringComparison.Ordinal));

        var (code, _, error) = await CliHarness.RunAsync("read", "--cell", "0,0", "--config", otherSeed);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("chip fabricated from other emulator settings", error, StringComparison.Ordinal);
        Assert.Contains("run 'cimhil emulator reset'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Form_BeyondTheFormingLimit_IsRefused_AndNothingIsApplied()
    {
        var (code, _, error) = await CliHarness.RunAsync("form", "--cell", "0,0", "--amplitude", "5.5", "--config", _config);

        Assert.Equal(ExitCodes.SafetyRefused, code);
        Assert.Contains("forming pulse refused: |amplitude| 5.5 V exceeds the maximum 5 V; nothing was applied", error, StringComparison.Ordinal);
        Assert.InRange(await ReadCellSAsync(0, 0), -1e-6, 0.2e-6);
    }

    [Fact]
    public async Task SetOnAnUnformedCell_Warns_AndQuietSilencesIt()
    {
        var (code, _, error) = await CliHarness.RunAsync("program", "--cell", "4,5", "--polarity", "set", "--amplitude", "1.5", "--config", _config);
        Assert.True(code == ExitCodes.Success, error);
        const string Warning = "WRN] SET on 1 unformed cell(s) ((4,5)): RRAM cells need forming, and unformed ones do not switch and read near 0 S; form them first (cimhil form --cell R,C)\n";
        Assert.True(error.Contains(Warning, StringComparison.Ordinal), error);

        var (quietCode, _, quietError) = await CliHarness.RunAsync("program", "--cell", "4,5", "--polarity", "set", "--amplitude", "1.5", "--quiet", "--config", _config);
        Assert.True(quietCode == ExitCodes.Success, quietError);
        Assert.Equal(string.Empty, quietError);

        var (levelCode, _, levelError) = await CliHarness.RunAsync("read", "--row", "4", "--log-level", "error", "--config", _config);
        Assert.True(levelCode == ExitCodes.Success, levelError);
        Assert.Equal(string.Empty, levelError);
    }

    [Fact]
    public async Task ReadOfARowWithUnformedCells_WarnsOnce_NamingTheFirstFew()
    {
        var (code, _, error) = await CliHarness.RunAsync("read", "--row", "7", "--config", _config);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("read on 64 unformed cell(s) ((7,0), (7,1), (7,2), (7,3), …)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerboseAndQuiet_Together_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("read", "--cell", "0,0", "--verbose", "--quiet", "--config", _config);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("cimhil: --verbose, --quiet and --log-level each set the console log level: give one of them\n", error);
    }

    private async Task<double> ReadCellSAsync(int row, int column)
    {
        var (code, output, error) = await CliHarness.RunAsync("read", "--cell", $"{row},{column}", "--json", "--quiet", "--config", _config);
        Assert.True(code == ExitCodes.Success, error);
        return CliHarness.Json(output).GetProperty("conductancesS")[0].GetDouble();
    }
}
