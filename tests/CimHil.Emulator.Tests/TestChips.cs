using CimHil.Core.Chip;
using CimHil.Emulator;

namespace CimHil.Emulator.Tests;

/// <summary>Small helpers shared by the emulator tests: chips, pulses and sample statistics.</summary>
internal static class TestChips
{
    public static CancellationToken Ct => CancellationToken.None;

    public static EmulatorSettings Rram(int rows, int columns, long seed = 1) =>
        new() { Technology = DeviceTechnology.Rram, Rows = rows, Columns = columns, Seed = seed };

    public static EmulatorSettings Pcm(int rows, int columns, long seed = 1) =>
        new() { Technology = DeviceTechnology.Pcm, Rows = rows, Columns = columns, Seed = seed };

    /// <summary>A 4×4 array, small enough for one matrix card per line set of the emulated benches.</summary>
    public static EmulatedChip BenchArray() => new(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 });

    public static EmulatorSettings WithoutStuckCells(this EmulatorSettings s) => s with
    {
        Rram = s.Rram with { StuckOnRate = 0, StuckOffRate = 0 },
        Pcm = s.Pcm with { StuckOnRate = 0, StuckOffRate = 0 },
    };

    public static ProgramPulse Set(double amplitudeV, double widthSeconds = 1e-6, double? gateV = null, double? complianceA = null) =>
        new() { Polarity = PulsePolarity.Set, AmplitudeV = amplitudeV, WidthSeconds = widthSeconds, GateVoltageV = gateV, ComplianceA = complianceA };

    public static ProgramPulse Reset(double amplitudeV, double widthSeconds = 1e-6) =>
        new() { Polarity = PulsePolarity.Reset, AmplitudeV = amplitudeV, WidthSeconds = widthSeconds };

    public static FormingPulse Form(double amplitudeV = 4.0, double complianceA = 1e-3) =>
        new() { AmplitudeV = amplitudeV, WidthSeconds = 1e-6, ComplianceA = complianceA };

    public static async Task FormAllAsync(EmulatedChip chip, double complianceA = 1e-3)
    {
        foreach (var cell in chip.Geometry.All.Cells())
        {
            await chip.FormAsync(cell, Form(4.0, complianceA), Ct);
        }
    }

    public static double Mean(IReadOnlyList<double> xs) => xs.Average();

    /// <summary>Sample standard deviation (n − 1).</summary>
    public static double Std(IReadOnlyList<double> xs)
    {
        var m = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Count - 1));
    }

    /// <summary>Tolerance for a standard-deviation estimate from n samples: 4 standard errors, σ/√(2n) each.</summary>
    public static double StdTolerance(double sigma, int n) => 4 * sigma / Math.Sqrt(2.0 * n);

    /// <summary>Tolerance for a mean estimate from n samples: 4 standard errors, σ/√n each.</summary>
    public static double MeanTolerance(double sigma, int n) => 4 * sigma / Math.Sqrt(n);

    /// <summary>Least-squares slope of y on x.</summary>
    public static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var mx = x.Average();
        var my = y.Average();
        var sxy = 0.0;
        var sxx = 0.0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
        }

        return sxy / sxx;
    }
}
