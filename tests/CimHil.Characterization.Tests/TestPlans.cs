using CimHil.Characterization.Plans;

namespace CimHil.Characterization.Tests;

/// <summary>Plans for tests: the shipped defaults, and a small RRAM plan for fast resume tests.</summary>
public static class TestPlans
{
    public static string PlanPath(string name) => Path.Combine(AppContext.BaseDirectory, "plans", $"{name}.json");

    public static CharacterizationPlan Default(string technology) => CharacterizationPlan.Load(PlanPath($"default-{technology}"));

    /// <summary>Every procedure, few cells: a 16×16 RRAM run of a few thousand records.</summary>
    public const string SmallRramJson = """
        {
          "name": "small-rram",
          "readVoltageV": 0.2,
          "seed": 3,
          "programVerify": {
            "toleranceS": 1e-6, "maxPulses": 80,
            "set": { "startV": 0.85, "stepV": 0.02, "maxV": 2.0, "widthSeconds": 1e-8, "gateV": 2.0 },
            "reset": { "startV": 0.95, "stepV": 0.02, "maxV": 2.5, "widthSeconds": 1e-8 },
            "finalReads": 2
          },
          "forming": { "amplitudeV": 3.0, "stepV": 0.1, "maxAmplitudeV": 4.0, "widthSeconds": 1e-5, "complianceA": 1e-4 },
          "stuckMap": { "set": { "amplitudeV": 2.0, "widthSeconds": 1e-6, "gateV": 3.0 }, "reset": { "amplitudeV": 2.2, "widthSeconds": 1e-6 }, "pulses": 6 },
          "ivSweep": { "cells": [[0, 0], [1, 1]], "voltagesV": [0.1, 0.2, 0.3] },
          "multilevel": { "targetsS": [10e-6, 30e-6, 50e-6, 70e-6] },
          "cycleToCycle": { "startTargetS": 20e-6, "probe": { "amplitudeV": 0.95, "widthSeconds": 1e-6, "gateV": 2.0 }, "repeats": 3, "probeReads": 2, "sampleCount": 8 },
          "readNoise": { "targetsS": [10e-6, 50e-6], "reads": 8, "sampleCount": 16 },
          "drift": { "targetsS": [20e-6, 60e-6], "firstSeconds": 1, "lastSeconds": 1000, "pointsPerDecade": 2, "sampleCount": 8 }
        }
        """;

    public static CharacterizationPlan SmallRram => CharacterizationPlan.Parse(SmallRramJson, "small-rram");

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "cimhil-charac-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
