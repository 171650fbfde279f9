using CimHil.Characterization;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.SmuMatrix;

/// <summary>A plan that asks the one-SMU probe station for a gate voltage is refused before forming, not after it.</summary>
public sealed class SmuMatrixPlanTests
{
    private static CharacterizationPlan Plan(string stuckMapSetGate) => CharacterizationPlan.Parse($$"""
        {
          "name": "gate-on-smu",
          "readVoltageV": 0.2,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 20,
            "set": { "startV": 0.9, "stepV": 0.05, "maxV": 2.0, "widthSeconds": 1e-3 },
            "reset": { "startV": 1.0, "stepV": 0.05, "maxV": 2.5, "widthSeconds": 1e-3 }
          },
          "forming": { "amplitudeV": 3.0, "stepV": 0.2, "maxAmplitudeV": 4.0, "widthSeconds": 1e-3, "complianceA": 1e-4 },
          "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-3{{stuckMapSetGate}} }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-3 }, "pulses": 1 }
        }
        """, "gate-on-smu.json");

    [Fact]
    public async Task StuckMapGateVoltage_OnTheSmuMatrixBench_IsRefusedBeforeAnyFormingPulse()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        var chip = new SafeChip(rig.Chip, Benches.Limits);
        Assert.False(chip.Supports(ChipCapabilities.GateVoltage));
        var plan = Plan(", \"gateV\": 2.0");

        var violation = Assert.Single(PlanValidator.Check(plan, chip).Violations);
        Assert.Equal("stuckMap.set.gateV", violation.JsonPath);
        Assert.Contains("cannot drive a gate", violation.Problem, StringComparison.Ordinal);

        // The characteriser itself refuses too; the old one formed all 16 cells first and then met the driver's refusal.
        var db = Path.Combine(Directory.CreateTempSubdirectory("cimhil-smu-plan-").FullName, "run.db");
        var provenance = new RunProvenance { Chip = chip.Identity, Geometry = chip.Geometry, VirtualClock = false, Driver = "smu-matrix", ConfigHash = "test", SoftwareVersion = RunProvenance.CurrentSoftwareVersion };
        using (var store = MeasurementStore.Create(db, "r", plan.Json, provenance, DateTimeOffset.UtcNow))
        {
            var ex = await Assert.ThrowsAsync<PlanValidationException>(() => new Characterizer(chip, store, plan, Benches.Logger).RunAsync(CancellationToken.None));
            Assert.Equal("stuckMap.set.gateV", ex.JsonPath);
        }

        Assert.Equal(0, rig.Backing.TotalFormingPulses);
        Assert.Equal(0, rig.Backing.TotalPulses);
        Assert.Equal(0, rig.Bench!.PulsesApplied);
    }

    [Fact]
    public async Task SamePlanWithoutTheGate_IsValidOnTheSmuMatrixBench()
    {
        await using var rig = await Benches.SmuMatrixAsync();
        var check = PlanValidator.Check(Plan(string.Empty), new SafeChip(rig.Chip, Benches.Limits));
        Assert.True(check.IsValid, string.Join("; ", check.Violations));
    }
}
