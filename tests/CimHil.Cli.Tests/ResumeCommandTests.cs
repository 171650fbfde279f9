using System.Diagnostics;
using System.Text.Json.Nodes;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Cli.Tests;

/// <summary>
/// The reproductions of "a resumed run gives wrong numbers with exit 0": <c>cimhil characterize</c> killed with SIGKILL and
/// resumed, on the in-process emulator (restored from its state file: the same experiment) and on the served emulator
/// (the same array continues; a restarted server is refused).
/// </summary>
public sealed class ResumeCommandTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string PlanJson = """
        {
          "name": "cli-resume", "readVoltageV": 0.2, "seed": 3,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 80,
            "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8, "gateV": 2.0 },
            "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 },
            "finalReads": 2
          },
          "forming": { "amplitudeV": 3.0, "stepV": 0.1, "maxAmplitudeV": 4.0, "widthSeconds": 1e-5, "complianceA": 1e-4 },
          "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-6, "gateV": 3.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-6 }, "pulses": 6 },
          "multilevel": { "targetsS": [10e-6, 30e-6, 50e-6, 70e-6] },
          "readNoise": { "targetsS": [10e-6, 50e-6], "reads": 8, "sampleCount": 32 }
        }
        """;

    private static string Cli => Path.Combine(AppContext.BaseDirectory, "cimhil.dll");

    private static (string Config, string Plan, string Dir) Setup(Func<JsonObject, JsonObject>? chip = null)
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-resume-").FullName;
        var plan = Path.Combine(dir, "plan.json");
        File.WriteAllText(plan, PlanJson);
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!.AsObject();
            node["emulator"]!["rows"] = 24;
            node["emulator"]!["columns"] = 24;
            if (chip is not null)
            {
                node["chip"] = chip(node["chip"]!.AsObject());
            }

            return node.ToJsonString();
        });
        return (config, plan, dir);
    }

    private static Process Start(params string[] args) =>
        Process.Start(new ProcessStartInfo("dotnet", [Cli, .. args]) { RedirectStandardError = true, RedirectStandardOutput = true })!;

    /// <summary>
    /// Starts characterize in a child process and SIGKILLs it inside multilevel: as soon as the store shows a committed
    /// multilevel unit (polled through read-only openings, as the bench server's page reads a live store), so the kill
    /// lands by what was stored, not after a delay that a loaded machine stretches past the procedure or short of it.
    /// </summary>
    private async Task KillMidwayAsync(string config, string plan, string db)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            foreach (var f in Directory.GetFiles(Path.GetDirectoryName(db)!, Path.GetFileName(db) + "*"))
            {
                File.Delete(f);
            }

            using var child = Start("characterize", "--plan", plan, "--out", db, "--json", "--config", config);
            _ = child.StandardOutput.ReadToEndAsync();
            _ = child.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            while (!child.HasExited && DateTime.UtcNow < deadline && StoredMultilevelUnits(db) == 0)
            {
                await Task.Delay(50);
            }

            var exited = child.HasExited;
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
            var units = s.Units(ProcedureNames.Multilevel).Count;
            output.WriteLine($"attempt {attempt}: killed with {units} multilevel units committed");
            if (!exited && s.Run.FinishedUtc is null && units > 0 && !s.IsProcedureFinished(ProcedureNames.Multilevel))
            {
                return;
            }
        }

        Assert.Fail("no kill landed inside multilevel");
    }

    /// <summary>Multilevel units the store holds now; 0 while it is not there yet or still being created.</summary>
    private static int StoredMultilevelUnits(string db)
    {
        if (!File.Exists(db))
        {
            return 0;
        }

        try
        {
            using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
            return s.Units(ProcedureNames.Multilevel).Count;
        }
        catch (Exception ex) when (ex is MeasurementStoreException or Microsoft.Data.Sqlite.SqliteException)
        {
            return 0;
        }
    }

    private static List<string> Units(string db, bool values)
    {
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return s.Units().Select(u => values ? $"{u.Key} {u.Outcome} {u.ValueS:R} {u.Pulses}" : $"{u.Key}").Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task Characterize_KilledAndResumed_OnTheInProcessEmulator_IsTheUninterruptedExperiment()
    {
        var (config, plan, dir) = Setup();
        var full = Path.Combine(dir, "full.db");
        var (code, _, error) = await CliHarness.RunAsync("characterize", "--plan", plan, "--out", full, "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error);

        // The config's emulator keeps its array between commands (emulator.stateFile): the interrupted experiment starts
        // on the pristine array, as the uninterrupted one did.
        (code, _, error) = await CliHarness.RunAsync("emulator", "reset", "--config", config);
        Assert.True(code == ExitCodes.Success, error);
        var db = Path.Combine(dir, "killed.db");
        await KillMidwayAsync(config, plan, db);
        Assert.True(File.Exists(db + ".chip-state"), "the emulator's state file is kept next to the store");

        (code, _, error) = await CliHarness.RunAsync("characterize", "--resume", "--out", db, "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(Units(full, values: true), Units(db, values: true));
    }

    [Fact]
    public async Task Characterize_ResumedWithoutTheStateFile_IsRefusedWithTheEvidence_AndResumeOnNewChipGoesOn()
    {
        var (config, plan, dir) = Setup();
        var db = Path.Combine(dir, "killed.db");
        await KillMidwayAsync(config, plan, db);
        File.Delete(db + ".chip-state");
        File.Delete(db + ".chip-state.pending");

        var (code, _, error) = await CliHarness.RunAsync("characterize", "--resume", "--out", db, "--config", config);

        Assert.Equal(ExitCodes.ChipError, code);
        Assert.Contains("is not the one whose measurements are stored", error, StringComparison.Ordinal);
        Assert.Contains("--resume-on-new-chip", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);

        (code, _, error) = await CliHarness.RunAsync("characterize", "--resume", "--resume-on-new-chip", "--out", db, "--json", "--config", config);
        Assert.True(code == ExitCodes.Success, error);
        using var s = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        Assert.Equal(1, s.ChipChanges());
    }

    [Fact]
    public async Task Characterize_OnTheServedEmulator_KilledAndResumed_Finishes_AndARestartedServerIsRefused()
    {
        string[] array = ["--rows", "24", "--columns", "24"];
        var (_, plan, dir) = Setup();
        var db = Path.Combine(dir, "served.db");
        await using (var board = await ServedBoard.StartAsync(array))
        {
            var (config, _, _) = Setup(chip => BoardChip(chip, board.Resource));
            await KillMidwayAsync(config, plan, db);
            Assert.False(File.Exists(db + ".chip-state"), "a served chip keeps its own state");

            // The server kept its array: the resume goes on on the same chip and finishes every unit.
            var (code, _, error) = await CliHarness.RunAsync("characterize", "--resume", "--out", db, "--json", "--config", config);
            Assert.True(code == ExitCodes.Success, error);
        }

        var (referenceConfig, _, _) = Setup();
        var reference = Path.Combine(dir, "reference.db");
        var (refCode, _, refError) = await CliHarness.RunAsync("characterize", "--plan", plan, "--out", reference, "--json", "--config", referenceConfig);
        Assert.True(refCode == ExitCodes.Success, refError);
        Assert.Equal(Units(reference, values: false), Units(db, values: false));

        // A restarted server is an unformed array: a resume there is refused, before any pulse.
        var second = Path.Combine(dir, "second.db");
        await using (var board = await ServedBoard.StartAsync(array))
        {
            var (config, _, _) = Setup(chip => BoardChip(chip, board.Resource));
            await KillMidwayAsync(config, plan, second);
        }

        await using var restarted = await ServedBoard.StartAsync(array);
        var (restartedConfig, _, _) = Setup(chip => BoardChip(chip, restarted.Resource));
        var (code2, _, error2) = await CliHarness.RunAsync("characterize", "--resume", "--out", second, "--config", restartedConfig);
        await restarted.StopAsync();

        Assert.Equal(ExitCodes.ChipError, code2);
        Assert.Contains("re-read cells differ", error2, StringComparison.Ordinal);
        Assert.Contains(", 0 programming pulses, 0 forming pulses.", restarted.Output, StringComparison.Ordinal);
    }

    private static JsonObject BoardChip(JsonObject chip, string resource)
    {
        chip["driver"] = "cimhil-board";
        chip["settings"] = new JsonObject { ["resource"] = resource };
        return chip;
    }
}
