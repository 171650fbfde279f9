using CimHil.Core.Chip;
using CimHil.Core.Devices;

namespace CimHil.Calibration.Tests;

public sealed class ShippedModelTests
{
    private static DeviceVariationModel Load(string name) => DeviceModelFile.Load(Path.Combine(AppContext.BaseDirectory, "calibration", $"{name}.json"));

    [Fact]
    public void PcmReference_HoldsAihwkitsProgrammingPolynomialExactly()
    {
        var m = Load("pcm-nandakumar2019");
        Assert.Equal(DeviceTechnology.Pcm, m.Technology);
        Assert.Equal(25e-6, m.Window.MaxS);
        Assert.Equal([0.26348e-6, 1.9650e-6, -1.1731e-6], m.Programming.SigmaS.Coefficients.ToArray());
        Assert.Equal(20.0, m.Drift!.T0Seconds);

        // The drift polynomials approximate aihwkit's clipped log laws within the stated error (0.013 / 0.009).
        foreach (var x in new[] { 0.05, 0.1, 0.3, 0.6, 1.0 })
        {
            var mean = Math.Clamp((-0.0155 * Math.Log(x)) + 0.0244, 0.049, 0.1);
            var sd = Math.Clamp((-0.0125 * Math.Log(x)) - 0.0059, 0.008, 0.045);
            Assert.InRange(m.Drift.NuMean.Evaluate(x), mean - 0.014, mean + 0.014);
            Assert.InRange(m.Drift.NuSigma.Evaluate(x), sd - 0.01, sd + 0.01);
        }

        Assert.Contains("aihwkit", m.Provenance.Reference, StringComparison.Ordinal);
    }

    [Fact]
    public void EmulatorRram_IsAValidatedRramModelWithItsRunsProvenance()
    {
        var m = Load("emulator-rram");
        Assert.Equal(DeviceTechnology.Rram, m.Technology);
        Assert.Equal(8, m.Programming.Levels.Length);
        Assert.NotNull(m.Provenance.RunId);
        Assert.NotNull(m.Provenance.ConfigHash);
        Assert.Equal("emulator", m.Provenance.Driver);
        Assert.InRange(m.CycleToCycle!.RelativeSigma, 0.12, 0.18);
        Assert.InRange(m.Window.MaxS, 90e-6, 110e-6);
    }
}
