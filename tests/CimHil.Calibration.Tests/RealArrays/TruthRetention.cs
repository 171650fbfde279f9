using System.Text;
using MathNet.Numerics.Distributions;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// Long-format repeated reads of the same cells across a bake, with known truth: cells programmed around each level with
/// σ0, read twice at 1 and 10 min (pre-bake, 27 °C), then baked; after the bake G_a = (1 − δ)·G_b + N(0, σ_relax), read at
/// 2 h and 24 h (post-bake, read hot at 85 °C; the 24 h read has relaxed a further δ/3).
/// </summary>
internal sealed class TruthRetention
{
    public const int CellsPerLevel = 300;
    public const double Sigma0S = 1e-6;
    public const double ReadSigmaS = 0.02e-6;
    public static readonly double[] TargetsS = [20e-6, 60e-6];
    public static readonly double[] Delta = [0.03, 0.06];
    public static readonly double[] SigmaRelaxS = [0.5e-6, 1.0e-6];
    public static readonly (double Minutes, string Phase, double Celsius)[] Points = [(1, "pre-bake", 27), (10, "pre-bake", 27), (120, "post-bake", 85), (1440, "post-bake", 85)];

    public TruthRetention(int seed)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder("row;col;target_uS;t_min;phase;T_C;rep;G_uS\n");
        for (var i = 0; i < CellsPerLevel * TargetsS.Length; i++)
        {
            var level = i % TargetsS.Length;
            var before = TargetsS[level] + Normal.Sample(rng, 0, Sigma0S);
            var after = ((1 - Delta[level]) * before) + Normal.Sample(rng, 0, SigmaRelaxS[level]);
            var later = after * (1 - (Delta[level] / 3));
            double[] g = [before, before, after, later];
            for (var p = 0; p < Points.Length; p++)
            {
                for (var r = 0; r < 2; r++)
                {
                    var (minutes, phase, celsius) = Points[p];
                    sb.Append(TruthArray.Inv($"{i / 64};{i % 64};{TargetsS[level] * 1e6:R};{minutes:R};{phase};{celsius:R};{r};{(g[p] + Normal.Sample(rng, 0, ReadSigmaS)) * 1e6:R}\n"));
                }
            }
        }

        Text = sb.ToString();
    }

    public string Text { get; }

    public const string Map = """
        {
          "kind": "retention",
          "format": { "type": "delimited", "delimiter": "semicolon", "header": true },
          "fields": {
            "row": { "column": "row" },
            "column": { "column": "col" },
            "target": { "column": "target_uS", "unit": "uS" },
            "elapsed": { "column": "t_min", "unit": "min" },
            "phase": { "column": "phase" },
            "temperature": { "column": "T_C", "unit": "C" },
            "repeat": { "column": "rep" },
            "value": { "column": "G_uS", "unit": "uS" }
          },
          "constants": { "readVoltageV": 0.2 }
        }
        """;

    public static double SigmaAfterS(int level) => Math.Sqrt((Math.Pow(1 - Delta[level], 2) * Sigma0S * Sigma0S) + (SigmaRelaxS[level] * SigmaRelaxS[level]));

    /// <summary>σ of the paired change a − b: √(δ²σ0² + σ_relax²) plus the read noise of two means of two reads.</summary>
    public static double ChangeSigmaS(int level) => Math.Sqrt((Math.Pow(Delta[level] * Sigma0S, 2)) + (SigmaRelaxS[level] * SigmaRelaxS[level]) + (ReadSigmaS * ReadSigmaS));
}
