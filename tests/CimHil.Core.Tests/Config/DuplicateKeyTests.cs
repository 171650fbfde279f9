using System.Text.Json;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Devices;

namespace CimHil.Core.Tests.Config;

/// <summary>A key written twice in one object is refused, naming the file, the JSON path and both values.</summary>
public class DuplicateKeyTests
{
    private static string ShippedConfig() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hil-config.json"));

    private static string TempFile(string text)
    {
        var path = Path.Combine(Path.GetTempPath(), $"cimhil-dup-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void HilConfig_DuplicateSafetyLimit_IsRefusedWithPathBothValuesAndFile()
    {
        // The reproduction: the second value silently raised the SET limit to 9 V and an 8.5 V pulse was applied.
        var text = ShippedConfig().Replace("\"maxSetVoltageV\": 3.0,", "\"maxSetVoltageV\": 3.0, \"maxSetVoltageV\": 9.0,", StringComparison.Ordinal);
        Assert.Contains("9.0", text, StringComparison.Ordinal);
        var path = TempFile(text);
        try
        {
            var ex = Assert.Throws<ConfigException>(() => HilConfigLoader.Load(path));
            Assert.Equal($"{path}: chip.safety.maxSetVoltageV: duplicate key (3.0, then 9.0)", ex.Message);
            Assert.Equal("chip.safety.maxSetVoltageV", ex.JsonPath);
            Assert.Equal(path, ex.Source_);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void HilConfig_DuplicateInDriverSettings_IsRefused()
    {
        var text = ShippedConfig().Replace("\"settings\": {}", "\"settings\": { \"rows\": 8, \"rows\": 64 }", StringComparison.Ordinal);
        var ex = Assert.Throws<ConfigException>(() => HilConfigLoader.Parse(text, "bench.json"));
        Assert.Equal("bench.json: chip.settings.rows: duplicate key (8, then 64)", ex.Message);
    }

    [Fact]
    public void JsonSection_DuplicateTopLevelSection_NamesBothAsObjects()
    {
        var ex = Assert.Throws<ConfigException>(() => JsonSection.Parse("""{ "chip": { "driver": "a" }, "chip": { "driver": "b" } }""", "x.json"));
        Assert.Equal("x.json: chip: duplicate key (an object, then an object)", ex.Message);
    }

    [Fact]
    public void JsonSection_DuplicateInAnArrayOfObjects_NamesTheElement()
    {
        var ex = Assert.Throws<ConfigException>(() => JsonSection.Parse("""{ "steps": [ { "v": 1 }, { "v": 2, "w": "a", "w": "b" } ] }""", "x.json"));
        Assert.Equal("x.json: steps[1].w: duplicate key (\"a\", then \"b\")", ex.Message);
    }

    [Fact]
    public void JsonSection_DuplicateDeeplyNested_NamesTheFullPath()
    {
        var ex = Assert.Throws<ConfigException>(() => JsonSection.Parse("""{ "a": { "b": [ [ { "c": { "d": true, "d": false } } ] ] } }""", "x.json"));
        Assert.Equal("a.b[0][0].c.d", ex.JsonPath);
        Assert.Equal("duplicate key (true, then false)", ex.Problem);
    }

    [Fact]
    public void JsonSection_EscapedSpellingOfTheSameKey_IsADuplicate()
    {
        // "max\u0053etVoltageV" is the same key once unescaped; comparing raw text would miss it.
        var ex = Assert.Throws<ConfigException>(() => JsonSection.Parse("""{ "maxSetVoltageV": 3.0, "max\u0053etVoltageV": 9.0 }""", "x.json"));
        Assert.Equal("x.json: maxSetVoltageV: duplicate key (3.0, then 9.0)", ex.Message);
    }

    [Fact]
    public void JsonSection_SameKeyInDifferentObjects_AndKeysDifferingInCase_AreAccepted()
    {
        var s = JsonSection.Parse("""{ "a": { "x": 1 }, "b": { "x": 2 }, "list": [ { "x": 3 }, { "x": 4 } ], "X": 5 }""", "x.json");
        Assert.Equal(2, s.Section("b").Int("x"));
        Assert.Equal(5, s.Int("X"));
    }

    [Fact]
    public void DeviceModelFile_DuplicateKey_IsRefusedWithPathAndFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cimhil-{Guid.NewGuid():N}.json");
        try
        {
            DeviceModelFile.Save(Model(), path);
            var text = File.ReadAllText(path).Replace("\"t0Seconds\": 20", "\"t0Seconds\": 20, \"t0Seconds\": 2000", StringComparison.Ordinal);
            Assert.Contains("2000", text, StringComparison.Ordinal);
            File.WriteAllText(path, text);
            var ex = Assert.Throws<ConfigException>(() => DeviceModelFile.Load(path));
            Assert.Equal($"{path}: drift.t0Seconds: duplicate key (20, then 2000)", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Deserialize_DuplicateKey_IsRefused_AndDistinctKeysDeserialize()
    {
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        var ex = Assert.Throws<ConfigException>(() => JsonDuplicateKeys.Deserialize<Point>("""{ "x": 1, "y": 2, "y": 3 }""", options, "cache.json"));
        Assert.Equal("cache.json: y: duplicate key (2, then 3)", ex.Message);
        Assert.Equal(new Point(1, 2), JsonDuplicateKeys.Deserialize<Point>("""{ "x": 1, "y": 2 }""", options, "cache.json"));
    }

    private sealed record Point(int X, int Y);

    private static DeviceVariationModel Model() => new()
    {
        Name = "t",
        Technology = DeviceTechnology.Pcm,
        Window = new ConductanceWindow(0, 25e-6),
        Programming = new ProgrammingErrorModel { SigmaS = Polynomial.Constant(1e-6), Family = ErrorDistribution.Normal },
        ReadNoise = new ReadNoiseModel { SigmaS = Polynomial.Constant(0.1e-6) },
        Drift = new DriftModel { T0Seconds = 20, NuMean = Polynomial.Constant(0.05), NuSigma = Polynomial.Constant(0.01) },
        Provenance = new ModelProvenance { Source = "test" },
    };
}
