using System.Text.Json.Nodes;
using CimHil.Core.Config;

namespace CimHil.Core.Tests.Config;

/// <summary>One test per class of bad configuration: each must name the JSON path and what is wrong.</summary>
public class HilConfigLoaderTests
{
    // The shipped file is copied beside the tests (see the .csproj), so this tests what users get.
    private static string RepoConfig() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "hil-config.json"));

    private static string Mutate(Action<JsonObject> change)
    {
        var node = JsonNode.Parse(RepoConfig())!.AsObject();
        change(node);
        return node.ToJsonString();
    }

    private static ConfigException Fails(string json) => Assert.Throws<ConfigException>(() => HilConfigLoader.Parse(json, "test.json"));

    [Fact]
    public void ShippedConfig_Loads_AndSelectsTheEmulator()
    {
        var config = HilConfigLoader.Parse(RepoConfig());
        Assert.Equal("emulator", config.Chip.Driver);
        Assert.Equal(3.0, config.Chip.Safety.MaxSetVoltageV);
        Assert.Equal("TCPIP0::127.0.0.1::5025::SOCKET", config.Instruments.Resolve("emulator-tcp"));
        Assert.Equal("TCPIP0::10.0.0.1::5025::SOCKET", config.Instruments.Resolve("TCPIP0::10.0.0.1::5025::SOCKET"));
        Assert.Equal(64, config.Section("emulator").Int("rows"));
        Assert.Equal(64, config.ContentHash.Length);
    }

    [Fact]
    public void SyntaxError_NamesLineAndColumn()
    {
        var ex = Fails("{\n  \"chip\": {\n    \"driver\": \"emulator\",,\n  }\n}");
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("test.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RootNotAnObject_IsRefused() => Assert.Contains("expected a JSON object", Fails("[1,2]").Message, StringComparison.Ordinal);

    [Fact]
    public void MissingRequiredSetting_NamesItsPath()
    {
        var ex = Fails(Mutate(n => n["chip"]!.AsObject().Remove("driver")));
        Assert.Equal("chip.driver", ex.JsonPath);
        Assert.Contains("missing", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void WrongType_SaysWhatWasFound()
    {
        var ex = Fails(Mutate(n => n["chip"]!["safety"]!["maxSetVoltageV"] = "three"));
        Assert.Equal("chip.safety.maxSetVoltageV", ex.JsonPath);
        Assert.Contains("expected a number, found the string \"three\"", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void NonPositiveLimit_IsRefused()
    {
        var ex = Fails(Mutate(n => n["chip"]!["safety"]!["maxComplianceA"] = -1));
        Assert.Equal("chip.safety.maxComplianceA", ex.JsonPath);
        Assert.Contains("greater than 0", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void OutOfRange_NamesTheBound()
    {
        var ex = Fails(Mutate(n => n["transport"]!["retries"] = 99));
        Assert.Equal("transport.retries", ex.JsonPath);
        Assert.Contains("exceeds the maximum 20", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MisspeltKey_IsRefusedWithASuggestion()
    {
        var ex = Fails(Mutate(n => n["chip"]!["safety"]!.AsObject().Add("maxSetVoltagV", 2.0)));
        Assert.Equal("chip.safety.maxSetVoltagV", ex.JsonPath);
        Assert.Contains("did you mean 'maxSetVoltageV'", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownSection_IsRefused() => Assert.Equal("chipp", Fails(Mutate(n => n.Add("chipp", new JsonObject()))).JsonPath);

    [Fact]
    public void InconsistentPulseWidths_AreRefused()
    {
        var ex = Fails(Mutate(n => n["chip"]!["safety"]!["minPulseWidthSeconds"] = 0.01));
        Assert.Equal("chip.safety.minPulseWidthSeconds", ex.JsonPath);
    }

    [Fact]
    public void BadLogLevel_ListsTheLevels()
    {
        var ex = Fails(Mutate(n => n["logging"]!["consoleLevel"] = "Loud"));
        Assert.Equal("logging.consoleLevel", ex.JsonPath);
        Assert.Contains("Verbose, Debug", ex.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFile_NamesTheFile()
    {
        var ex = Assert.Throws<ConfigException>(() => HilConfigLoader.Load("/nonexistent/hil.json"));
        Assert.Contains("/nonexistent/hil.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ResolvePath_PrefersCliThenEnvironmentThenDefault()
    {
        Assert.Equal("a.json", HilConfigLoader.ResolvePath("a.json"));
        var old = Environment.GetEnvironmentVariable(HilConfigLoader.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(HilConfigLoader.PathVariable, "env.json");
            Assert.Equal("env.json", HilConfigLoader.ResolvePath(null));
            Environment.SetEnvironmentVariable(HilConfigLoader.PathVariable, null);
            Assert.Equal("hil-config.json", HilConfigLoader.ResolvePath(null));
        }
        finally
        {
            Environment.SetEnvironmentVariable(HilConfigLoader.PathVariable, old);
        }
    }
}
