using System.Text.Json.Nodes;

namespace CimHil.Cli.Tests;

/// <summary><c>characterize --dry-run</c> against the emulated smu-matrix bench: a plan it cannot apply is refused before any pulse.</summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task DryRun_StuckMapGateVoltage_OnTheSmuMatrixBench_IsRefusedNamingTheStepAndTheLimit_BeforeAnyPulse()
    {
        var plan = Path.Combine(Directory.CreateTempSubdirectory("cimhil-smu-plan-").FullName, "gate-on-smu.json");
        File.WriteAllText(plan, """
            {
              "name": "gate-on-smu", "readVoltageV": 0.2,
              "programVerify": {
                "toleranceS": 1e-6, "maxPulses": 20,
                "set": { "startV": 0.9, "stepV": 0.05, "maxV": 2.0, "widthSeconds": 1e-3 },
                "reset": { "startV": 1.0, "stepV": 0.05, "maxV": 2.5, "widthSeconds": 1e-3 }
              },
              "forming": { "amplitudeV": 3.0, "stepV": 0.2, "maxAmplitudeV": 4.0, "widthSeconds": 1e-3, "complianceA": 1e-4 },
              "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-3, "gateV": 2.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-3 }, "pulses": 1 }
            }
            """);

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        var serving = CliApp.RunAsync(["emulator", "serve", "--bench", "smu-matrix", "--port", "0", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);
        var served = JsonNode.Parse($"{{{DriverAndSettings().Match(await WaitForLineAsync(serverOut, output, "\"chip\":", serving)).Value}}}")!;
        var config = CliHarness.ConfigVariant(text =>
        {
            var node = JsonNode.Parse(text)!;
            node["chip"]!["driver"] = served["driver"]!.DeepClone();
            node["chip"]!["settings"] = served["settings"]!.DeepClone();
            node["chip"]!["safety"]!["minPulseWidthSeconds"] = 1e-3;
            return node.ToJsonString();
        });

        var (code, printed, error) = await CliHarness.RunAsync("characterize", "--plan", plan, "--dry-run", "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        var lines = printed.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("1 violation(s):", lines[^2]);
        Assert.StartsWith("stuckMap.set.gateV: ", lines[^1], StringComparison.Ordinal);
        Assert.Contains("cannot drive a gate (it lacks the GateVoltage capability), but the plan asks for 2 V", lines[^1], StringComparison.Ordinal);
        Assert.Contains("stuckMap.set.gateV", error, StringComparison.Ordinal);
        Assert.Contains("nothing was applied", error, StringComparison.Ordinal);
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);

        // Nothing reached the bench: its closing summary counts no pulse.
        Assert.Contains("Stopped after 0 pulses,", output.ToString(), StringComparison.Ordinal);
    }
}
