using CimHil.Core.Devices;

namespace CimHil.Reporting.Tests;

/// <summary>The calibration report's fitted densities, drawn over each level's histogram, are true densities of the family the model names.</summary>
public class CalibrationReportWriterTests
{
    public static TheoryData<LevelFamily, double[]> Families => new()
    {
        { LevelFamily.Normal, [20e-6, 1e-6] },
        { LevelFamily.LogNormal, [Math.Log(5e-6), 0.3] },
        { LevelFamily.TruncatedNormal, [20e-6, 2e-6, 18e-6, 21e-6] },
        { LevelFamily.Uniform, [18e-6, 21e-6] },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void Density_IntegratesToOne_AndIsZeroOutsideTheWindow(LevelFamily family, double[] values)
    {
        string[] names = family switch
        {
            LevelFamily.LogNormal => ["logMean", "logSigma"],
            LevelFamily.TruncatedNormal => ["meanS", "sigmaS", "windowLowS", "windowHighS"],
            LevelFamily.Uniform => ["windowLowS", "windowHighS"],
            _ => ["meanS", "sigmaS"],
        };
        var d = new LevelDistribution { Family = family, Parameters = [.. names.Select((n, i) => new DistributionParameter(n, values[i]))] };

        // Midpoint rule on 0 … 60 µS with 60 000 steps: error far below the 10⁻³ tolerance for these smooth densities
        // (the uniform's and the truncated normal's jumps cost at most two steps' worth, 2·10⁻³·density·step ≈ 10⁻⁶).
        const int steps = 60_000;
        const double hi = 60e-6;
        var integral = Enumerable.Range(0, steps).Sum(k => CalibrationReportWriter.Density(d, (k + 0.5) * hi / steps)) * hi / steps;
        Assert.Equal(1.0, integral, 1e-3);
        if (family is LevelFamily.TruncatedNormal or LevelFamily.Uniform)
        {
            Assert.Equal(0, CalibrationReportWriter.Density(d, 17.9e-6));
            Assert.Equal(0, CalibrationReportWriter.Density(d, 21.1e-6));
        }
    }
}
