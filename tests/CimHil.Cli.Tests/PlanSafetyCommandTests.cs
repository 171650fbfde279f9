using CimHil.Emulator;
using CimHil.Emulator.Wire;

namespace CimHil.Cli.Tests;

/// <summary>
/// Bad inputs are refused before anything reaches the chip: a duplicate safety limit in the config, a plan step beyond
/// a limit. The chip is the emulator behind the board protocol on a loopback socket, so its counters show what arrived.
/// </summary>
public sealed class PlanSafetyCommandTests
{
    private static string FormIvPlan(string voltages)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cimhil-plan-").FullName, "form-iv.json");
        File.WriteAllText(path, $$"""
            {
              "name": "form-iv",
              "readVoltageV": 0.2,
              "programVerify": {
                "toleranceS": 1e-6, "maxPulses": 80,
                "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8 },
                "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 }
              },
              "forming": { "amplitudeV": 3.0, "stepV": 0.1, "maxAmplitudeV": 4.0, "widthSeconds": 1e-5, "complianceA": 1e-4 },
              "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-6, "gateV": 3.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-6 }, "pulses": 1 },
              "ivSweep": { "cells": [[0, 0], [1, 1]], "voltagesV": {{voltages}} }
            }
            """);
        return path;
    }

    private static string Db() => Path.Combine(Directory.CreateTempSubdirectory("cimhil-db-").FullName, "run.db");

    [Fact]
    public async Task DuplicateSafetyLimit_IsRefused_AndNoPulseReachesTheChip()
    {
        // The reproduction: the second maxSetVoltageV silently raised the limit and the pulse above the first was applied.
        await using var bench = Bench.Start();
        var config = bench.Config(t => t.Replace("\"maxSetVoltageV\": 3.0,", "\"maxSetVoltageV\": 3.0, \"maxSetVoltageV\": 4.5,", StringComparison.Ordinal));

        var (code, _, error) = await CliHarness.RunAsync("program", "--cell", "0,0", "--polarity", "set", "--amplitude", "4.2", "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"cimhil: {config}: chip.safety.maxSetVoltageV: duplicate key (3.0, then 4.5)", error.Trim());
        Assert.Equal(0, bench.Chip.TotalPulses);
        Assert.Equal(0, bench.Board.PulsesApplied);
    }

    [Fact]
    public async Task DuplicateSafetyLimit_OnTheEmulatorDriver_IsRefused()
    {
        var config = CliHarness.ConfigVariant(t => t.Replace("\"maxSetVoltageV\": 3.0,", "\"maxSetVoltageV\": 3.0, \"maxSetVoltageV\": 9.0,", StringComparison.Ordinal));

        var (code, output, error) = await CliHarness.RunAsync("program", "--cell", "0,0", "--polarity", "set", "--amplitude", "8.5", "--config", config, "--json");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"cimhil: {config}: chip.safety.maxSetVoltageV: duplicate key (3.0, then 9.0)", error.Trim());
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public async Task DuplicateRunSetting_IsRefused_WithItsPath()
    {
        var config = CliHarness.ConfigVariant(t => t.Replace("\"trainEpochs\": 8,", "\"trainEpochs\": 8, \"trainEpochs\": 80,", StringComparison.Ordinal));

        var (code, _, error) = await CliHarness.RunAsync("run", "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal($"cimhil: {config}: run.trainEpochs: duplicate key (8, then 80)", error.Trim());
    }

    [Fact]
    public async Task Characterize_PlanWithABadIvStep_IsRefusedWithZeroPulses_AndCreatesNoStore()
    {
        await using var bench = Bench.Start();
        var config = bench.Config();
        var db = Db();

        var (code, _, error) = await CliHarness.RunAsync("characterize", "--plan", FormIvPlan("[0.1, 0.2, 0.8]"), "--out", db, "--json", "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("plan 'form-iv' cannot run on", error, StringComparison.Ordinal);
        Assert.Contains("ivSweep.voltagesV[2]: read refused: read voltage 0.8 V exceeds the maximum 0.5 V", error, StringComparison.Ordinal);
        Assert.False(File.Exists(db));
        Assert.Equal(0, bench.Chip.TotalFormingPulses);
        Assert.Equal(0, bench.Chip.TotalPulses);
        Assert.Equal(0, bench.Board.PulsesApplied);

        // Nothing was left behind, so the corrected plan simply starts the run.
        var (fixedCode, _, fixedError) = await CliHarness.RunAsync("characterize", "--plan", FormIvPlan("[0.1, 0.2, 0.3]"), "--out", db, "--json", "--config", config);
        Assert.True(fixedCode == ExitCodes.Success, fixedError);
        Assert.True(File.Exists(db));
        Assert.True(bench.Chip.TotalFormingPulses >= 64);
    }

    [Fact]
    public async Task DryRun_BadPlan_PrintsWhatEachProcedureWouldApply_AndEveryViolation_AppliesNothing()
    {
        await using var bench = Bench.Start();

        var (code, output, error) = await CliHarness.RunAsync("characterize", "--plan", FormIvPlan("[0.1, 0.2, 0.8]"), "--dry-run", "--config", bench.Config());

        Assert.Equal(ExitCodes.BadInput, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("plan 'form-iv' on ", lines[0], StringComparison.Ordinal);
        Assert.Equal(
            new[]
            {
                "forming: 64 units of cell, at most 704 pulses",
                "forming pulse (forming): 3 … 4 V, width 1E-05 s, compliance 0.0001 A",
                "stuckMap: 64 units of cell, at most 128 pulses",
                "SET pulse (stuckMap.set): 2 V, width 1E-06 s, gate 3 V",
                "RESET pulse (stuckMap.reset): 2.2 V, width 1E-06 s",
                "read (readVoltageV): 0.2 V",
                "ivSweep: 2 units of cell, at most 0 pulses",
                "read (ivSweep.voltagesV): 0.1 … 0.8 V",
                "1 violation(s):",
                "ivSweep.voltagesV[2]: read refused: read voltage 0.8 V exceeds the maximum 0.5 V; nothing was applied",
            },
            lines[1..]);
        Assert.Contains("ivSweep.voltagesV[2]", error, StringComparison.Ordinal);
        Assert.Equal(0, bench.Chip.TotalFormingPulses + bench.Chip.TotalPulses + bench.Chip.TotalReads);
    }

    [Fact]
    public async Task DryRun_GoodPlan_Json_IsValid_AndCreatesNothing()
    {
        await using var bench = Bench.Start();

        var (code, output, error) = await CliHarness.RunAsync("characterize", "--plan", FormIvPlan("[0.1, 0.2, 0.3]"), "--dry-run", "--json", "--config", bench.Config());

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        Assert.True(json.GetProperty("isValid").GetBoolean());
        Assert.Equal(0, json.GetProperty("violations").GetArrayLength());
        Assert.Equal(3, json.GetProperty("procedures").GetArrayLength());
        Assert.Equal(704, json.GetProperty("procedures")[0].GetProperty("maxPulses").GetInt64());
        Assert.Equal(0, bench.Chip.TotalFormingPulses + bench.Chip.TotalPulses);
    }

    [Fact]
    public async Task DryRun_WithoutPlan_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("characterize", "--dry-run", "--config", CliHarness.ShippedConfig);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--dry-run needs --plan", error, StringComparison.Ordinal);
    }

    /// <summary>An 8×8 emulated RRAM array served over the board protocol on loopback TCP.</summary>
    private sealed class Bench : IAsyncDisposable
    {
        private readonly BoardTcpServer _server;

        private Bench(EmulatedChip chip, BoardServer board, BoardTcpServer server)
        {
            Chip = chip;
            Board = board;
            _server = server;
        }

        public EmulatedChip Chip { get; }

        public BoardServer Board { get; }

        public static Bench Start()
        {
            var chip = new EmulatedChip(EmulatorSettings.Defaults with { Rows = 8, Columns = 8, Seed = 21 });
            var board = new BoardServer(chip, Serilog.Core.Logger.None);
            var server = new BoardTcpServer(board, Serilog.Core.Logger.None, System.Net.IPAddress.Loopback);
            server.Start();
            return new Bench(chip, board, server);
        }

        /// <summary>The shipped config with the chip on this board, then <paramref name="edit"/>.</summary>
        public string Config(Func<string, string>? edit = null) => CliHarness.ConfigVariant(text =>
        {
            var board = text
                .Replace("\"driver\": \"emulator\"", "\"driver\": \"cimhil-board\"", StringComparison.Ordinal)
                .Replace("\"settings\": {}", $"\"settings\": {{ \"resource\": \"{_server.ResourceString}\" }}", StringComparison.Ordinal);
            return edit is null ? board : edit(board);
        });

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            Board.Dispose();
        }
    }
}
