using CimHil.Characterization.Import;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// Issue #16, item 2: arrays generated with a known truth, written in foreign layouts, imported with the import machinery
/// and calibrated. Failure rate, outliers, in-window spread, the distribution family and σ(G) come back within tolerances
/// derived from the sample size (<see cref="TruthArray.SigmaTolerance"/>, <see cref="TruthArray.FailureTolerance"/>).
/// </summary>
public sealed class RealArrayCalibrationTests
{
    private const int Bootstrap = 60;

    // σ grows linearly with the level: σ(G) = 0.2 µS + 0.03·G. Windows are ±1.5σ (a tight verify loop: truncated).
    private static double SigmaAt(double targetS) => 0.2e-6 + (0.03 * targetS);

    private static TruthLevel Truncated(double targetS, double failure = 0, int outliers = 0) => new(targetS, SigmaAt(targetS), 1.5 * SigmaAt(targetS), FailureRate: failure, Outliers: outliers);

    private static TruthLevel Wide(double targetS, double failure = 0, int outliers = 0) => new(targetS, SigmaAt(targetS), 6 * SigmaAt(targetS), FailureRate: failure, Outliers: outliers);

    [Fact]
    public async Task HeaderlessTsvInOhms_TruncatedInsideTheWindow_FailureRateSpreadAndFamilyRecovered()
    {
        var truth = new TruthArray(21, [Truncated(10e-6, 0.02), Truncated(30e-6, 0.05), Truncated(50e-6, 0.08), Truncated(70e-6, 0.10)], 500);
        var model = await ImportAndFitAsync(truth, "pv.tsv", truth.HeaderlessTsvOhms(), TruthArray.HeaderlessTsvOhmsMap);

        AssertLevels(model, truth);
        Assert.All(model.Programming.Levels, l => Assert.Equal(LevelFamily.TruncatedNormal, l.Distribution!.Family));

        // The truncated normal's σ parameter is the σ before the window cut it: 4 SE of an MLE σ of n values (≈ σ/√(2n)
        // for a normal; the cut roughly doubles it at c = 1.5, so 8 σ/√(2n)) plus the read noise of a mean of the reads.
        for (var i = 0; i < truth.Levels.Count; i++)
        {
            var d = model.Programming.Levels[i].Distribution!;
            var tolerance = (8 * truth.Levels[i].SigmaS / Math.Sqrt(2.0 * truth.Clean(i))) + TruthArray.ReadSigmaS;
            Assert.True(Math.Abs(d.Parameter("sigmaS")!.Value - truth.Levels[i].SigmaS) <= tolerance, $"level {i}: truncated σ {d.Parameter("sigmaS"):E3}, truth {truth.Levels[i].SigmaS:E3} ± {tolerance:E3}");
            Assert.Equal(truth.Levels[i].WindowLowS, d.Parameter("windowLowS")!.Value, 1e-12);
            var sigma = d.Parameters.Single(p => p.Name == "sigmaS");
            Assert.True(sigma.Interval!.Low <= sigma.Value && sigma.Value <= sigma.Interval.High);
        }
    }

    [Fact]
    public async Task CsvWithHeaderInMicrosiemens_LogNormalAtLowConductance_FamilyAndSigmaOfGRecovered()
    {
        // A log-normal level with a 30 % spread at low G, three normal levels (windows far wider than σ) above it.
        var truth = new TruthArray(22, [new TruthLevel(5e-6, 1.5e-6, 50e-6, LogNormal: true), Wide(30e-6), Wide(50e-6), Wide(70e-6)], 500);
        var model = await ImportAndFitAsync(truth, "pv.csv", truth.CsvMicrosiemens(), TruthArray.CsvMicrosiemensMap);

        AssertLevels(model, truth);
        var low = model.Programming.Levels[0].Distribution!;
        Assert.Equal(LevelFamily.LogNormal, low.Family);

        // σ of ln G of n values: SE s/√(2(n − 1)); 4 SE.
        var s = 1.5e-6 / 5e-6;
        Assert.InRange(low.Parameter("logSigma")!.Value, s - (4 * s / Math.Sqrt(2.0 * (truth.Clean(0) - 1))), s + (4 * s / Math.Sqrt(2.0 * (truth.Clean(0) - 1))));
        Assert.All(model.Programming.Levels.Skip(1), l => Assert.Contains(l.Distribution!.Family, new[] { LevelFamily.Normal, LevelFamily.LogNormal }));

        // Without a window in the file, no window family is tried.
        Assert.All(model.Programming.Levels, l => Assert.DoesNotContain(l.Distribution!.Candidates, c => c.Family is LevelFamily.Uniform or LevelFamily.TruncatedNormal));
    }

    [Fact]
    public async Task Hdf5File_SigmaOfG_HoldsBetweenTheMeasuredLevels()
    {
        var truth = new TruthArray(23, [Wide(10e-6), Wide(30e-6), Wide(50e-6), Wide(70e-6)], 500);
        var dir = Directory.CreateTempSubdirectory("cimhil-calib-").FullName;
        var model = await FitAsync(truth, [truth.Hdf5(dir)], TruthArray.Hdf5Map, dir);

        AssertLevels(model, truth);
        var curve = model.Programming.SigmaOfG!;
        Assert.Equal(21, curve.Band.Length);
        Assert.All(curve.Band, p => Assert.True(p.LowS <= p.SigmaS && p.SigmaS <= p.HighS, $"band at {p.ConductanceS:E3} S: {p.LowS:E3} … {p.HighS:E3} around {p.SigmaS:E3}"));

        // Between the levels (20, 40, 60 µS) the curve is within the larger tolerance of its two neighbours.
        foreach (var (g, below) in new[] { (20e-6, 0), (40e-6, 1), (60e-6, 2) })
        {
            var tolerance = Math.Max(truth.SigmaTolerance(below), truth.SigmaTolerance(below + 1));
            var fitted = curve.Evaluate(model.Window.Normalise(g));
            Assert.True(Math.Abs(fitted - SigmaAt(g)) <= tolerance, $"σ({g * 1e6} µS) = {fitted:E3}, truth {SigmaAt(g):E3} ± {tolerance:E3}");
        }
    }

    [Fact]
    public async Task DirtyFixture_FivePercentNeverVerifiedAndExtremeOutliers_InWindowSpreadRecoveredAndBothCounted()
    {
        var truth = new TruthArray(24, [Wide(10e-6, 0.05, 3), Wide(30e-6, 0.05, 2), Wide(50e-6, 0.05, 4), Wide(70e-6, 0.05, 1)], 500);
        var model = await ImportAndFitAsync(truth, "dirty.tsv", truth.HeaderlessTsvOhms(), TruthArray.HeaderlessTsvOhmsMap);

        AssertLevels(model, truth);
        for (var i = 0; i < truth.Levels.Count; i++)
        {
            var v = model.Programming.Levels[i].Verification!;

            // Every planted outlier is found; a normal sample raises a false alarm with p = 4.7·10⁻⁴ per cell (|M| > 3.5),
            // so ≈ 0.23 among 480 cells: at most 2 more (Poisson tail < 0.2 %).
            Assert.InRange(v.Outliers, truth.Levels[i].Outliers, truth.Levels[i].Outliers + 2);
            foreach (var planted in truth.Cells.Where(c => c.Level == i && c.Outlier))
            {
                Assert.Contains(v.OutlierValuesS, o => Math.Abs(o - planted.ProgrammedS) < 5 * TruthArray.ReadSigmaS);
            }
        }

        // Nothing silently dropped: every cell is either failed, an outlier, or in the fitted spread.
        Assert.All(model.Programming.Levels, l => Assert.Equal(l.Verification!.Attempted, l.Verification.Failed + l.Verification.Outliers + l.Count));
        Assert.Equal(RobustOutliers.Threshold, model.Programming.OutlierThreshold);

        // Without the outliers removed, the spread of level 0 would be several times the truth: the test can fail.
        var all = truth.Cells.Where(c => c.Level == 0 && c.Verified).Select(c => c.ReadsS.Average()).ToList();
        Assert.True(Math.Sqrt(Stats.Variance(all)) > 2 * truth.Levels[0].InWindowSigmaS);
    }

    [Fact]
    public async Task ModelFile_WithTheNewFields_RoundTripsAndOldFilesStillLoad()
    {
        var truth = new TruthArray(25, [Truncated(10e-6, 0.05, 1), Wide(40e-6)], 200);
        var model = await ImportAndFitAsync(truth, "pv.tsv", truth.HeaderlessTsvOhms(), TruthArray.HeaderlessTsvOhmsMap);
        var path = Path.Combine(Directory.CreateTempSubdirectory("cimhil-calib-").FullName, "m.json");
        DeviceModelFile.Save(model, path);
        var back = DeviceModelFile.Load(path);

        Assert.Equal(model.Programming.SigmaOfG!.Form, back.Programming.SigmaOfG!.Form);
        Assert.Equal(model.Programming.SigmaOfG.A, back.Programming.SigmaOfG.A);
        Assert.Equal(model.Programming.Levels[0].Verification!.Failed, back.Programming.Levels[0].Verification!.Failed);
        Assert.Equal(model.Programming.Levels[0].Distribution!.Family, back.Programming.Levels[0].Distribution!.Family);
        Assert.Contains("\"truncatedNormal\"", File.ReadAllText(path), StringComparison.Ordinal);

        foreach (var shipped in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "calibration"), "*.json"))
        {
            Assert.Null(DeviceModelFile.Load(shipped).Programming.SigmaOfG);
        }
    }

    [Theory]
    [InlineData("\"cubic\"", "1e-6", "programming.sigmaOfG.form")]
    [InlineData("\"linear\"", "\"NaN\"", "programming.sigmaOfG")]
    public void ModelFile_WithABadSigmaOfG_IsRefusedWithItsJsonPath(string form, string a, string path)
    {
        var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "calibration", "emulator-rram.json"));
        var node = System.Text.Json.Nodes.JsonNode.Parse(shipped)!;
        node["programming"]!["sigmaOfG"] = System.Text.Json.Nodes.JsonNode.Parse($"{{\"form\": {form}, \"a\": {a}, \"b\": 0.5}}");
        var ex = Assert.ThrowsAny<Exception>(() => DeviceModelFile.Parse(node.ToJsonString(), "bad.json"));
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("bad.json", ex.Message, StringComparison.Ordinal);
    }

    private static void AssertLevels(DeviceVariationModel model, TruthArray truth)
    {
        Assert.Equal(truth.Levels.Count, model.Programming.Levels.Length);
        for (var i = 0; i < truth.Levels.Count; i++)
        {
            var level = model.Programming.Levels[i];
            var v = level.Verification!;
            Assert.Equal(truth.Levels[i].TargetS, level.TargetS, 1e-6 * truth.Levels[i].TargetS);
            Assert.Equal(truth.Attempted(i), v.Attempted);
            Assert.Equal(truth.Failed(i), v.Failed);
            Assert.True(Math.Abs(v.FailureRate - truth.Levels[i].FailureRate) <= truth.FailureTolerance(i), $"level {i}: failure rate {v.FailureRate:P2}, truth {truth.Levels[i].FailureRate:P2} ± {truth.FailureTolerance(i):P2}");
            Assert.True(v.FailureRateInterval!.Contains(v.FailureRate));
            Assert.Equal(truth.Clean(i), level.Count + v.Outliers - truth.Levels[i].Outliers);
            var tolerance = truth.SigmaTolerance(i);
            Assert.True(Math.Abs(level.SigmaS - truth.Levels[i].InWindowSigmaS) <= tolerance, $"level {i}: σ {level.SigmaS:E3} S, truth {truth.Levels[i].InWindowSigmaS:E3} ± {tolerance:E3}");
        }
    }

    private static async Task<DeviceVariationModel> ImportAndFitAsync(TruthArray truth, string fileName, string text, string map)
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-calib-").FullName;
        var file = Path.Combine(dir, fileName);
        await File.WriteAllTextAsync(file, text);
        return await FitAsync(truth, [file], map, dir);
    }

    private static async Task<DeviceVariationModel> FitAsync(TruthArray truth, IReadOnlyList<string> files, string map, string dir)
    {
        _ = truth;
        var db = Path.Combine(dir, "store.db");
        await MeasurementImporter.ImportAsync(files, ImportMapping.Parse(map), db, new ImportOptions(), CancellationToken.None);
        using var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true);
        return Calibrator.Fit(store, "real", new CalibrationOptions { BootstrapSamples = Bootstrap });
    }
}
