using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Devices;

namespace CimHil.Core.Tests.Devices;

public class DeviceModelFileTests
{
    private static DeviceVariationModel Model() => new()
    {
        Name = "t",
        Technology = DeviceTechnology.Pcm,
        Window = new ConductanceWindow(0, 25e-6),
        Programming = new ProgrammingErrorModel { SigmaS = new Polynomial([0.26348e-6, 1.9650e-6, -1.1731e-6]), Family = ErrorDistribution.Normal },
        ReadNoise = new ReadNoiseModel { SigmaS = Polynomial.Constant(0.1e-6) },
        Drift = new DriftModel { T0Seconds = 20, NuMean = Polynomial.Constant(0.05), NuSigma = Polynomial.Constant(0.01) },
        Provenance = new ModelProvenance { Source = "test" },
    };

    [Fact]
    public void SaveThenLoad_RoundTrips()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cimhil-{Guid.NewGuid():N}.json");
        try
        {
            DeviceModelFile.Save(Model(), path);
            var back = DeviceModelFile.Load(path);
            Assert.Equal(Model().Programming.SigmaS.Coefficients.ToArray(), back.Programming.SigmaS.Coefficients.ToArray());
            Assert.Equal(DeviceTechnology.Pcm, back.Technology);
            Assert.Equal(20, back.Drift!.T0Seconds);
            Assert.Contains("\"technology\": \"pcm\"", File.ReadAllText(path), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Polynomial_EvaluatesInAscendingOrder() => Assert.Equal(1 + (2 * 3) + (4 * 9), new Polynomial([1, 2, 4]).Evaluate(3), 12);

    [Fact]
    public void NewerSchema_IsRefused()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(Model() with { SchemaVersion = 9 }, DeviceModelFile.JsonOptions);
        var ex = Assert.Throws<ConfigException>(() => DeviceModelFile.Parse(json, "m.json"));
        Assert.Equal("schemaVersion", ex.JsonPath);
    }

    [Fact]
    public void InvertedWindow_IsRefused()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(Model() with { Window = new ConductanceWindow(5e-6, 1e-6) }, DeviceModelFile.JsonOptions);
        Assert.Equal("window", Assert.Throws<ConfigException>(() => DeviceModelFile.Parse(json, "m.json")).JsonPath);
    }

    [Fact]
    public void ForeignJson_IsRefusedClearly()
    {
        var ex = Assert.Throws<ConfigException>(() => DeviceModelFile.Parse("{\"hello\": 1}", "m.json"));
        Assert.Contains("m.json", ex.Message, StringComparison.Ordinal);
    }
}
