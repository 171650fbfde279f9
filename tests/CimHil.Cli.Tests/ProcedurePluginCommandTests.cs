using System.Text.Json.Nodes;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Cli.Tests;

/// <summary>
/// A procedure defined in this test assembly (<see cref="CellSnapshotProcedure"/>) runs through <c>cimhil characterize</c>
/// once hil-config.json lists the assembly under <c>characterization.plugins</c>; without it, its section is refused.
/// </summary>
public sealed class ProcedurePluginCommandTests
{
    private const string PlanJson = """
        {
          "name": "snapshot", "readVoltageV": 0.2,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 20,
            "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8 },
            "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 }
          },
          "ivSweep": { "cells": [[0, 0]], "voltagesV": [0.1, 0.2] },
          "cellSnapshot": { "rows": 3, "voltageV": VOLTAGE }
        }
        """;

    private static string Plan(double voltageV = 0.15)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("cimhil-plugin-").FullName, "snapshot.json");
        File.WriteAllText(path, PlanJson.Replace("VOLTAGE", voltageV.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        return path;
    }

    private static string ConfigWithPlugin(string pluginPath) => CliHarness.ConfigVariant(text =>
    {
        var node = JsonNode.Parse(text)!.AsObject();
        node["emulator"]!["rows"] = 8;
        node["emulator"]!["columns"] = 8;
        node["characterization"] = new JsonObject { ["plugins"] = new JsonArray(pluginPath) };
        return node.ToJsonString();
    });

    private static string TestAssembly => typeof(CellSnapshotProcedure).Assembly.Location;

    [Fact]
    public async Task Characterize_WithThePluginInTheConfig_RunsTheTestAssemblysProcedure_AfterTheBuiltIns()
    {
        var db = Path.Combine(Directory.CreateTempSubdirectory("cimhil-plugin-db-").FullName, "run.db");

        var (code, _, error) = await CliHarness.RunAsync("characterize", "--plan", Plan(), "--out", db, "--json", "--config", ConfigWithPlugin(TestAssembly));

        Assert.True(code == ExitCodes.Success, error);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        Assert.Equal(["ivSweep", CellSnapshotProcedure.Section], store.Procedures());
        Assert.True(store.IsProcedureFinished(CellSnapshotProcedure.Section));
        var reads = store.Measurements(CellSnapshotProcedure.Section, CellSnapshotProcedure.Role).ToList();
        Assert.Equal(3 * 8, reads.Count);
        Assert.All(reads, r => Assert.Equal(0.15, r.VoltageV));
        Assert.All(reads, r => Assert.Equal(MeasurementKind.Read, r.Kind));
        Assert.Equal(3 * 8, store.Units(CellSnapshotProcedure.Section).Count);
    }

    [Fact]
    public async Task Characterize_WithoutThePlugin_RefusesItsSection_NamingTheKnownOnes()
    {
        var db = Path.Combine(Directory.CreateTempSubdirectory("cimhil-plugin-db-").FullName, "run.db");

        var (code, _, error) = await CliHarness.RunAsync("characterize", "--plan", Plan(), "--out", db, "--json", "--config", CliHarness.ShippedConfig);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("cellSnapshot: unknown setting", error, StringComparison.Ordinal);
        Assert.Contains(ProcedureNames.Drift, error, StringComparison.Ordinal);
        Assert.False(File.Exists(db));
    }

    [Fact]
    public async Task DryRun_WithThePlugin_PrintsWhatTheProcedureWouldApply_AndItsViolation()
    {
        var (code, output, error) = await CliHarness.RunAsync("characterize", "--plan", Plan(voltageV: 0.9), "--dry-run", "--config", ConfigWithPlugin(TestAssembly));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("cellSnapshot: 24 units of cell, at most 0 pulses", output, StringComparison.Ordinal);
        Assert.Contains("read (cellSnapshot.voltageV): 0.9 V", output, StringComparison.Ordinal);
        Assert.Contains("cellSnapshot.voltageV: read refused: read voltage 0.9 V exceeds the maximum 0.5 V", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Characterize_WithAMissingPluginAssembly_IsABadConfig_NamingTheKey()
    {
        var (code, _, error) = await CliHarness.RunAsync("characterize", "--plan", Plan(), "--dry-run", "--config", ConfigWithPlugin("no-such/Lab.Procedures.dll"));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("characterization.plugins[0]: procedure plug-in assembly", error, StringComparison.Ordinal);
    }
}
