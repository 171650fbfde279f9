using System.Text;
using MathNet.Numerics.Distributions;

namespace CimHil.Cli.Tests.Import;

/// <summary>
/// Layout (c): long-format retention reads of programmed cells across a bake: G(t) = G0·((t + t0)/t0)^−ν with a known
/// ν per cell (mean <see cref="NuMean"/>, spread <see cref="NuSigma"/>), two repeated reads per time point, a phase label.
/// </summary>
internal sealed class GeneratedRetention
{
    public const double NuMean = 0.05;
    public const double NuSigma = 0.01;
    public const double T0Seconds = 60;
    public const int Cells = 120;
    public static readonly (double Seconds, string Phase)[] Points = [(60, "pre-bake"), (600, "pre-bake"), (6000, "pre-bake"), (60000, "post-bake"), (600000, "post-bake")];
    public static readonly double[] LevelTargetsS = [20e-6, 60e-6];

    public GeneratedRetention(int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("# retention across a bake; t in minutes\ncell;level;t_min;phase;repeat;G_uS\n");
        for (var i = 0; i < Cells; i++)
        {
            var level = i % 2;
            var g0 = LevelTargetsS[level] + Normal.Sample(rng, 0, 0.5e-6);
            var nu = Normal.Sample(rng, NuMean, NuSigma);
            foreach (var (t, phase) in Points)
            {
                for (var r = 0; r < 2; r++)
                {
                    var g = (g0 * Math.Pow((t + T0Seconds) / T0Seconds, -nu)) + Normal.Sample(rng, 0, 0.02e-6);
                    sb.Append(GeneratedArray.Inv($"{i};{level};{t / 60:R};{phase};{r};{g * 1e6:R}\n"));
                }
            }
        }

        Text = sb.ToString();
    }

    public string Text { get; }

    /// <summary>Four standard errors of the mean ν over the cells of one level, plus a small allowance for the fit's own error.</summary>
    public static double NuTolerance => (4 * NuSigma / Math.Sqrt(Cells / 2.0)) + 0.002;
}
