using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Emulator;
using Serilog;

namespace CimHil.Characterization.Tests;

/// <summary>Plans are checked against the safety limits and the chip before the first pulse.</summary>
public sealed class PlanValidatorTests
{
    // The shipped hil-config.json states these same limits (SET 3 V, RESET 3.5 V, FORM 5 V, read 0.5 V, gate 3 V, 500 µA, 10 ns…1 ms).
    private static readonly SafetyLimits Limits = SafetyLimits.Default;

    /// <summary>Forming, stuck map and an I–V sweep whose third voltage (0.8 V) exceeds the 0.5 V read limit.</summary>
    private static string FormIvJson(string voltages) => $$"""
        {
          "name": "form-iv",
          "readVoltageV": 0.2,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 80,
            "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8 },
            "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 }
          },
          "forming": { "amplitudeV": 3.0, "stepV": 0.1, "maxAmplitudeV": 4.0, "widthSeconds": 1e-5, "complianceA": 1e-4 },
          "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-6, "gateV": 3.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-6 }, "pulses": 2 },
          "ivSweep": { "cells": [[0, 0], [1, 1]], "voltagesV": {{voltages}} }
        }
        """;

    private static CharacterizationPlan Bad => CharacterizationPlan.Parse(FormIvJson("[0.1, 0.2, 0.8]"), "bad.json");

    private static CharacterizationPlan Corrected => CharacterizationPlan.Parse(FormIvJson("[0.1, 0.2, 0.3]"), "corrected.json");

    private static RunProvenance Provenance(IChip chip) => new()
    {
        Chip = chip.Identity,
        Geometry = chip.Geometry,
        VirtualClock = true,
        Driver = "emulator",
        ConfigHash = "test",
        SoftwareVersion = RunProvenance.CurrentSoftwareVersion,
    };

    [Theory]
    [InlineData("rram")]
    [InlineData("pcm")]
    public void ShippedDefaultPlans_OnTheShippedLimits_AreValid(string technology)
    {
        using var chip = new TestChipHolder(technology == "rram" ? DeviceTechnology.Rram : DeviceTechnology.Pcm, 64);
        var check = PlanValidator.Check(TestPlans.Default(technology), chip.Safe);
        Assert.True(check.IsValid, string.Join("; ", check.Violations));
    }

    [Fact]
    public void Preview_DefaultRram_CountsUnitsAndPulseBudgetsPerProcedure()
    {
        using var chip = new TestChipHolder(DeviceTechnology.Rram, 64);
        var check = PlanValidator.Check(TestPlans.Default("rram"), chip.Safe);
        Assert.Equal(ProcedureNames.InOrder, check.Procedures.Select(p => p.Procedure));
        var byName = check.Procedures.ToDictionary(p => p.Procedure);

        // Forming ramps 3.0 V to 4.0 V in 0.1 V steps: at most 11 pulses for each of the 4096 cells.
        Assert.Equal((4096L, 4096L * 11), (byName[ProcedureNames.Forming].Units, byName[ProcedureNames.Forming].MaxPulses));
        var forming = Assert.Single(byName[ProcedureNames.Forming].Stimuli);
        Assert.Equal(3.0, forming.MinAmplitudeV, 12);
        Assert.Equal(4.0, forming.MaxAmplitudeV, 12);
        Assert.Equal((1e-5, 1e-4), (forming.WidthSeconds, forming.ComplianceA));
        Assert.Equal(4096L * 2 * 6, byName[ProcedureNames.StuckMap].MaxPulses);
        Assert.Equal(4, byName[ProcedureNames.IvSweep].Units);
        Assert.Equal(1024 * 8, byName[ProcedureNames.Multilevel].Units);
        Assert.Equal(64 * 10, byName[ProcedureNames.CycleToCycle].Units);
        Assert.Equal(256, byName[ProcedureNames.ReadNoise].Units);
        Assert.Equal(128 * 14, byName[ProcedureNames.Drift].Units);
    }

    [Fact]
    public void EveryStimulus_IsChecked_AndEachViolationNamesItsJsonPath()
    {
        var json = TestPlans.SmallRramJson
            .Replace("\"maxAmplitudeV\": 4.0", "\"maxAmplitudeV\": 5.5", StringComparison.Ordinal)
            .Replace("\"reset\": { \"amplitudeV\": 2.2, \"widthSeconds\": 1e-6 }", "\"reset\": { \"amplitudeV\": 2.2, \"widthSeconds\": 2e-3 }", StringComparison.Ordinal)
            .Replace("\"voltagesV\": [0.1, 0.2, 0.3]", "\"voltagesV\": [0.1, 0.6, 0.3]", StringComparison.Ordinal)
            .Replace("\"maxV\": 2.0, \"widthSeconds\": 1e-8, \"gateV\": 2.0", "\"maxV\": 2.0, \"widthSeconds\": 1e-8, \"gateV\": 3.5", StringComparison.Ordinal)
            .Replace("\"maxV\": 2.5", "\"maxV\": 3.6", StringComparison.Ordinal)
            .Replace("\"probe\": { \"amplitudeV\": 0.95, \"widthSeconds\": 1e-6, \"gateV\": 2.0 }", "\"probe\": { \"amplitudeV\": 0.95, \"widthSeconds\": 1e-6, \"gateV\": 2.0, \"complianceA\": 1e-3 }", StringComparison.Ordinal);
        using var chip = new TestChipHolder(DeviceTechnology.Rram, 16);

        var check = PlanValidator.Check(CharacterizationPlan.Parse(json, "p.json"), chip.Safe);

        Assert.Equal(
            new[] { "programVerify.set.gateV", "programVerify.reset.maxV", "forming.maxAmplitudeV", "stuckMap.reset.widthSeconds", "ivSweep.voltagesV[1]", "cycleToCycle.probe.complianceA" },
            check.Violations.Select(v => v.JsonPath));
        Assert.Contains("|amplitude| 5.5 V exceeds the maximum 5 V", check.Violations[2].Problem, StringComparison.Ordinal);
        Assert.Contains("read voltage 0.6 V exceeds the maximum 0.5 V", check.Violations[4].Problem, StringComparison.Ordinal);
        Assert.Contains("0.001 A exceeds the maximum 0.0005 A", check.Violations[5].Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void IvSweepCellOutsideTheArray_IsAViolation()
    {
        var json = TestPlans.SmallRramJson.Replace("[[0, 0], [1, 1]]", "[[0, 0], [16, 1]]", StringComparison.Ordinal);
        using var chip = new TestChipHolder(DeviceTechnology.Rram, 16);
        var violation = Assert.Single(PlanValidator.Check(CharacterizationPlan.Parse(json, "p.json"), chip.Safe).Violations);
        Assert.Equal("ivSweep.cells[1]", violation.JsonPath);
        Assert.Contains("outside the 16", violation.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FormingOnAChipThatNeedsNone_IsSkippedNotRefused()
    {
        using var chip = new TestChipHolder(DeviceTechnology.Pcm, 16);
        var check = PlanValidator.Check(TestPlans.SmallRram, chip.Safe);
        var forming = check.Procedures[0];
        Assert.Equal((ProcedureNames.Forming, 0L, 0L), (forming.Procedure, forming.Units, forming.MaxPulses));
        Assert.NotNull(forming.Skipped);
    }

    [Fact]
    public async Task Run_PlanWithABadIvStep_IsRefusedBeforeTheFirstPulse()
    {
        // The reproduction: the old characteriser formed all 256 cells and ran the stuck map before the I–V step was refused.
        using var chip = new TestChipHolder(DeviceTechnology.Rram, 16);
        var ex = Assert.Throws<PlanValidationException>(() => PlanValidator.Check(Bad, chip.Safe).ThrowIfInvalid("bad.json"));
        Assert.Equal("ivSweep.voltagesV[2]", ex.JsonPath);

        // The characteriser checks again itself (a library caller may not have), still before anything is applied.
        var db = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var store = MeasurementStore.Create(db, "r", Bad.Json, Provenance(chip.Safe), DateTimeOffset.UtcNow))
        {
            var again = await Assert.ThrowsAsync<PlanValidationException>(() => new Characterizer(chip.Safe, store, Bad, Log.Logger).RunAsync(CancellationToken.None));
            Assert.StartsWith("form-iv: plan 'form-iv' cannot run on ", again.Message, StringComparison.Ordinal);
            Assert.Contains("ivSweep.voltagesV[2]: read refused: read voltage 0.8 V exceeds the maximum 0.5 V", again.Message, StringComparison.Ordinal);
            Assert.Equal((0L, 0L, 0L), store.Counts());
        }

        Assert.Equal(0, chip.Emulator.TotalFormingPulses);
        Assert.Equal(0, chip.Emulator.TotalPulses);
        Assert.Equal(0, chip.Emulator.TotalReads);

        // The refused store is resumable with the corrected plan, which becomes the run's plan.
        using var resumed = MeasurementStore.Open(db, DateTimeOffset.UtcNow);
        var summary = await new Characterizer(chip.Safe, resumed, Corrected, Log.Logger).RunAsync(CancellationToken.None);
        Assert.Equal(new[] { ProcedureNames.Forming, ProcedureNames.StuckMap, ProcedureNames.IvSweep }, summary.Procedures);
        Assert.Equal(Corrected.Json, resumed.Run.PlanJson);
        Assert.Equal(new[] { 0.1, 0.2, 0.3, 0.1, 0.2, 0.3 }, resumed.Measurements(ProcedureNames.IvSweep).Select(m => m.VoltageV!.Value));
    }

    [Fact]
    public async Task Resume_StoreLeftByAProcedureRefusedBeforeItMeasured_AcceptsTheCorrectedPlan()
    {
        // The state the old characteriser left: forming and stuck map done, the I–V sweep registered with the bad
        // parameters and nothing measured. Its resume with the corrected plan was refused ("other parameters").
        using var chip = new TestChipHolder(DeviceTechnology.Rram, 16);
        var db = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var store = MeasurementStore.Create(db, "r", Bad.Json, Provenance(chip.Safe), DateTimeOffset.UtcNow))
        {
            await new Characterizer(chip.Safe, store, Bad.Without(ProcedureNames.IvSweep), Log.Logger).RunAsync(CancellationToken.None);
            store.BeginProcedure(ProcedureNames.IvSweep, 3, Bad.SectionJson(ProcedureNames.IvSweep), chip.Safe.Clock.Now);
        }

        var formingPulses = chip.Emulator.TotalFormingPulses;
        var pulses = chip.Emulator.TotalPulses;
        Assert.True(formingPulses >= 256);

        using var resumed = MeasurementStore.Open(db, DateTimeOffset.UtcNow);
        var summary = await new Characterizer(chip.Safe, resumed, Corrected, Log.Logger).RunAsync(CancellationToken.None);

        Assert.Equal(2, summary.UnitsThisSession);
        Assert.Equal(formingPulses, chip.Emulator.TotalFormingPulses);
        Assert.Equal(pulses, chip.Emulator.TotalPulses);
        Assert.Equal(Corrected.SectionJson(ProcedureNames.IvSweep), resumed.ProcedureParameters(ProcedureNames.IvSweep));
        Assert.Equal(Corrected.Json, resumed.Run.PlanJson);
    }

    [Fact]
    public async Task Resume_WithChangedParametersOfAProcedureThatHasMeasurements_IsRefusedBeforeAnyPulse()
    {
        using var chip = new TestChipHolder(DeviceTechnology.Rram, 16);
        var db = Path.Combine(TestPlans.TempDir(), "run.db");
        using (var store = MeasurementStore.Create(db, "r", Corrected.Json, Provenance(chip.Safe), DateTimeOffset.UtcNow))
        {
            await new Characterizer(chip.Safe, store, Corrected.Without(ProcedureNames.IvSweep), Log.Logger).RunAsync(CancellationToken.None);
        }

        var pulses = chip.Emulator.TotalPulses + chip.Emulator.TotalFormingPulses;
        var changed = CharacterizationPlan.Parse(FormIvJson("[0.1, 0.2, 0.3]").Replace("\"pulses\": 2", "\"pulses\": 3", StringComparison.Ordinal), "changed.json");
        using var resumed = MeasurementStore.Open(db, DateTimeOffset.UtcNow);
        var ex = await Assert.ThrowsAsync<MeasurementStoreException>(() => new Characterizer(chip.Safe, resumed, changed, Log.Logger).RunAsync(CancellationToken.None));
        Assert.Contains("procedure 'stuckMap' was started with other parameters", ex.Message, StringComparison.Ordinal);
        Assert.Equal(pulses, chip.Emulator.TotalPulses + chip.Emulator.TotalFormingPulses);
        Assert.Equal(Corrected.Json, resumed.Run.PlanJson);
    }

    [Fact]
    public void Parse_DuplicateKeyInAPlan_NamesThePathAndBothValues()
    {
        var json = TestPlans.SmallRramJson.Replace("\"maxV\": 2.5,", "\"maxV\": 2.5, \"maxV\": 3.4,", StringComparison.Ordinal);
        var ex = Assert.Throws<ConfigException>(() => CharacterizationPlan.Parse(json, "p.json"));
        Assert.Equal("p.json: programVerify.reset.maxV: duplicate key (2.5, then 3.4)", ex.Message);
    }

    /// <summary>An emulated chip behind the shipped safety limits, as the CLI connects it.</summary>
    private sealed class TestChipHolder : IDisposable
    {
        public TestChipHolder(DeviceTechnology technology, int size)
        {
            Emulator = ChildHost.Chip(technology, 7, size);
            Safe = new SafeChip(Emulator, Limits);
        }

        public EmulatedChip Emulator { get; }

        public SafeChip Safe { get; }

        public void Dispose() => Safe.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
