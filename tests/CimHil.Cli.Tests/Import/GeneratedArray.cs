using System.Globalization;
using System.Text;
using MathNet.Numerics.Distributions;

namespace CimHil.Cli.Tests.Import;

/// <summary>One generated cell: its level, the conductance it was programmed to, and its repeated reads (the ground truth).</summary>
internal sealed record GeneratedCell(int Row, int Column, int Level, double TargetS, double ProgrammedS, IReadOnlyList<double> ReadsS, int SetPulses, int ResetPulses, bool Verified);

/// <summary>
/// A fixed generator of program-and-verify results: 4 levels with a known programming σ per level, 4 reads of each cell
/// with a known read-noise σ. The files of each test layout are written from it, so calibration must recover its σ.
/// </summary>
internal sealed class GeneratedArray
{
    public const int Rows = 32;
    public const int Columns = 32;
    public const int Reads = 4;
    public const double ReadSigmaS = 0.3e-6;
    public static readonly double[] TargetsS = [10e-6, 30e-6, 50e-6, 70e-6];
    public static readonly double[] SigmaS = [1.0e-6, 1.5e-6, 2.0e-6, 2.5e-6];

    public GeneratedArray(int seed, int cells = 800, double unverifiedFraction = 0)
    {
        var rng = new Random(seed);
        Cells = [.. Enumerable.Range(0, cells).Select(i =>
        {
            var level = i % TargetsS.Length;
            var g = TargetsS[level] + Normal.Sample(rng, 0, SigmaS[level]);
            var reads = Enumerable.Range(0, Reads).Select(_ => g + Normal.Sample(rng, 0, ReadSigmaS)).ToList();
            return new GeneratedCell(i / Columns, i % Columns, level, TargetsS[level], g, reads, 1 + rng.Next(20), rng.Next(5), rng.NextDouble() >= unverifiedFraction);
        })];
    }

    public IReadOnlyList<GeneratedCell> Cells { get; }

    /// <summary>How many verified cells each level holds: the n the tolerance on σ is derived from.</summary>
    public int CellsAt(int level) => Cells.Count(c => c.Level == level && c.Verified);

    /// <summary>
    /// The tolerance on a fitted σ: four standard errors of a sample standard deviation of n values, σ/√(2(n − 1)),
    /// plus the read noise's share (the fit removes s²/k, itself estimated).
    /// </summary>
    public double SigmaTolerance(int level) => (4 * SigmaS[level] / Math.Sqrt(2.0 * (CellsAt(level) - 1))) + (ReadSigmaS / Math.Sqrt(Reads));

    /// <summary>Layout (a): headerless TSV in ohms, column-major 1-based linear index, verify window in ohms, pulse counts, verify flag; one row per read.</summary>
    public string HeaderlessTsvOhms()
    {
        var sb = new StringBuilder("# generated program-and-verify log, resistances in ohm\n# index\tR\tRlow\tRhigh\tset\treset\tpass\n");
        foreach (var c in Cells)
        {
            var index = (c.Column * Rows) + c.Row + 1;
            var tolerance = 1e-6;
            foreach (var g in c.ReadsS)
            {
                sb.Append(Inv($"{index}\t{1 / g:R}\t{1 / (c.TargetS + tolerance):R}\t{1 / (c.TargetS - tolerance):R}\t{c.SetPulses}\t{c.ResetPulses}\t{(c.Verified ? 1 : 0)}\n"));
            }
        }

        return sb.ToString();
    }

    /// <summary>Layout (b): CSV with a header, columns in another order, conductances in µS, row and column columns.</summary>
    public string CsvMicrosiemens()
    {
        var sb = new StringBuilder("G_uS,col,target_uS,row,read\n");
        foreach (var c in Cells)
        {
            for (var k = 0; k < c.ReadsS.Count; k++)
            {
                sb.Append(Inv($"{c.ReadsS[k] * 1e6:R},{c.Column},{c.TargetS * 1e6:R},{c.Row},{k}\n"));
            }
        }

        return sb.ToString();
    }

    public static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
