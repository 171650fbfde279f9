using System.Globalization;
using System.Text;
using CimHil.Tests.Shared;
using MathNet.Numerics.Distributions;
using PureHDF;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// A seeded array with known truth per level (<see cref="TruthLevel"/>), written in the foreign layouts of issue #16:
/// headerless TSV in ohms with verify windows and pulse counts, CSV with a header in µS, and HDF5. Calibration of the
/// imported files must recover the truth within tolerances derived from the sample size.
/// </summary>
internal sealed class TruthArray
{
    public const int Rows = 64;
    public const int Columns = 64;
    public const int Reads = 2;
    public const double ReadSigmaS = 0.02e-6;

    public TruthArray(int seed, IReadOnlyList<TruthLevel> levels, int cellsPerLevel)
    {
        Levels = levels;
        var rng = new Random(seed);
        var cells = new List<TruthCell>();
        for (var l = 0; l < levels.Count; l++)
        {
            var level = levels[l];
            for (var i = 0; i < cellsPerLevel; i++)
            {
                var index = cells.Count;
                var verified = rng.NextDouble() >= level.FailureRate;
                var outlier = verified && i < level.Outliers;
                double g;
                if (!verified)
                {
                    // A cell that never verified sits far outside its window (stuck low, or the loop gave up).
                    g = level.TargetS * (0.2 + (0.3 * rng.NextDouble()));
                }
                else if (outlier)
                {
                    // Far above the level (a cell that relaxed up, or a misread): 25–75 σ, always a positive conductance.
                    g = level.TargetS + ((1 + (i % 3)) * 25 * level.SigmaS);
                }
                else if (level.LogNormal)
                {
                    var s = level.SigmaS / level.TargetS;
                    g = level.TargetS * Math.Exp(Normal.Sample(rng, 0, s));
                }
                else
                {
                    do
                    {
                        g = level.TargetS + Normal.Sample(rng, 0, level.SigmaS);
                    }
                    while (Math.Abs(g - level.TargetS) > level.HalfWindowS);
                }

                var reads = Enumerable.Range(0, Reads).Select(_ => g + Normal.Sample(rng, 0, ReadSigmaS)).ToList();
                cells.Add(new TruthCell(index / Columns, index % Columns, l, g, reads, 1 + rng.Next(30), rng.Next(4), verified, outlier));
            }
        }

        Cells = cells;
    }

    public IReadOnlyList<TruthLevel> Levels { get; }

    public IReadOnlyList<TruthCell> Cells { get; }

    public int Attempted(int level) => Cells.Count(c => c.Level == level);

    public int Failed(int level) => Cells.Count(c => c.Level == level && !c.Verified);

    /// <summary>Cells that verified and are not planted outliers: the n behind the spread.</summary>
    public int Clean(int level) => Cells.Count(c => c.Level == level && c.Verified && !c.Outlier);

    /// <summary>
    /// Tolerance on a fitted σ: 4 standard errors of a sample standard deviation of n values, σ/√(2(n − 1)) (exact for a
    /// normal, conservative for a truncated normal whose kurtosis is lower), plus the read noise of a mean of the reads.
    /// </summary>
    public double SigmaTolerance(int level) => (4 * Levels[level].InWindowSigmaS / Math.Sqrt(2.0 * (Clean(level) - 1))) + (ReadSigmaS / Math.Sqrt(Reads));

    /// <summary>Tolerance on a failure rate: 4 binomial standard errors √(p(1 − p)/n), at least 4/n.</summary>
    public double FailureTolerance(int level) => Math.Max(4.0 / Attempted(level), 4 * Math.Sqrt(Levels[level].FailureRate * (1 - Levels[level].FailureRate) / Attempted(level)));

    /// <summary>Headerless TSV in ohms: 1-based column-major index, R, window in ohms, SET and RESET pulses, pass flag; one row per read.</summary>
    public string HeaderlessTsvOhms()
    {
        var sb = new StringBuilder("# program-and-verify log; R in ohm\n");
        foreach (var c in Cells)
        {
            var level = Levels[c.Level];
            foreach (var g in c.ReadsS)
            {
                sb.Append(Inv($"{(c.Column * Rows) + c.Row + 1}\t{1 / g:R}\t{1 / level.WindowHighS:R}\t{1 / level.WindowLowS:R}\t{c.SetPulses}\t{c.ResetPulses}\t{(c.Verified ? "pass" : "fail")}\n"));
            }
        }

        return sb.ToString();
    }

    public static string HeaderlessTsvOhmsMap => ImportMappingFiles.HeaderlessTsvOhms(Rows, Columns);

    /// <summary>CSV with a header in µS, columns in another order, row and column, a verify flag, no window.</summary>
    public string CsvMicrosiemens()
    {
        var sb = new StringBuilder("G_uS,col,target_uS,ok,row,read\n");
        foreach (var c in Cells)
        {
            for (var k = 0; k < c.ReadsS.Count; k++)
            {
                sb.Append(Inv($"{c.ReadsS[k] * 1e6:R},{c.Column},{Levels[c.Level].TargetS * 1e6:R},{(c.Verified ? 1 : 0)},{c.Row},{k}\n"));
            }
        }

        return sb.ToString();
    }

    public const string CsvMicrosiemensMap = """
        {
          "kind": "programVerify",
          "format": { "type": "delimited", "delimiter": "comma", "header": true },
          "fields": {
            "row": { "column": "row" },
            "column": { "column": "col" },
            "value": { "column": "G_uS", "unit": "uS" },
            "target": { "column": "target_uS", "unit": "uS" },
            "verified": { "column": "ok" },
            "repeat": { "column": "read" }
          },
          "constants": { "readVoltageV": 0.2 }
        }
        """;

    /// <summary>HDF5: one element per read; row, col, conductance (S), window (S), verify flag.</summary>
    public string Hdf5(string dir)
    {
        var reads = Cells.SelectMany(c => c.ReadsS.Select(g => (c, g))).ToList();
        var file = new H5File
        {
            ["meas"] = new H5Group
            {
                ["row"] = reads.Select(r => r.c.Row).ToArray(),
                ["col"] = reads.Select(r => r.c.Column).ToArray(),
                ["g"] = reads.Select(r => r.g).ToArray(),
                ["lo"] = reads.Select(r => Levels[r.c.Level].WindowLowS).ToArray(),
                ["hi"] = reads.Select(r => Levels[r.c.Level].WindowHighS).ToArray(),
                ["ok"] = reads.Select(r => r.c.Verified ? 1 : 0).ToArray(),
            },
        };
        var path = Path.Combine(dir, "array.h5");
        file.Write(path);
        return path;
    }

    public const string Hdf5Map = """
        {
          "kind": "programVerify",
          "format": { "type": "hdf5" },
          "fields": {
            "row": { "dataset": "/meas/row" },
            "column": { "dataset": "/meas/col" },
            "value": { "dataset": "/meas/g", "unit": "S" },
            "targetLow": { "dataset": "/meas/lo", "unit": "S" },
            "targetHigh": { "dataset": "/meas/hi", "unit": "S" },
            "verified": { "dataset": "/meas/ok" }
          },
          "constants": { "readVoltageV": 0.2 }
        }
        """;

    public static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
