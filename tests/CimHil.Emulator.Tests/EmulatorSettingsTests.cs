using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Emulator;

namespace CimHil.Emulator.Tests;

public class EmulatorSettingsTests
{
    [Fact]
    public void Parse_MinimalSection_GivesDefaults()
    {
        var s = EmulatorSettings.Parse(JsonSection.Parse("""{"technology":"rram","seed":1,"rows":64,"columns":64}""", "test"));

        Assert.Equal(DeviceTechnology.Rram, s.Technology);
        Assert.Equal(1, s.Seed);
        Assert.Equal(64, s.Rows);
        Assert.Equal(64, s.Columns);
        Assert.True(s.VectorMatrixMultiply);
        Assert.Equal(new RramPhysics(), s.Rram);
        Assert.Equal(25e-6, s.Pcm.GMaxS);
    }

    [Fact]
    public void Parse_PhysicsOverrides_AreApplied()
    {
        var json = """
            {"technology":"pcm","seed":9,"rows":8,"columns":4,"capabilities":{"vectorMatrixMultiply":false},
             "rram":{"maxConductanceS":{"nominal":50e-6,"sigma":0.1},"setThresholdV":0.9,"stuckOnRate":0.01},
             "pcm":{"driftScale":2,"programmingSigmaCoefficientsS":[1e-7]}}
            """;
        var s = EmulatorSettings.Parse(JsonSection.Parse(json, "test"));

        Assert.Equal(DeviceTechnology.Pcm, s.Technology);
        Assert.False(s.VectorMatrixMultiply);
        Assert.Equal(new Spread(50e-6, 0.1, SpreadKind.LogNormal), s.Rram.MaxConductanceS);
        Assert.Equal(new Spread(0.9, 0.05, SpreadKind.Normal), s.Rram.SetThresholdV);
        Assert.Equal(0.01, s.Rram.StuckOnRate);
        Assert.Equal(2, s.Pcm.DriftScale);
        Assert.Equal([1e-7], s.Pcm.ProgrammingSigmaCoefficientsS);
    }

    [Theory]
    [InlineData("""{"technology":"sram"}""", "emulator.technology")]
    [InlineData("""{"rows":0}""", "emulator.rows")]
    [InlineData("""{"rram":{"setTreshold":1}}""", "emulator.rram.setTreshold")]
    [InlineData("""{"rram":{"maxConductanceS":{"nominal":-1}}}""", "emulator.rram.maxConductanceS.nominal")]
    [InlineData("""{"pcm":{"stuckOnRate":0.7,"stuckOffRate":0.7}}""", "emulator.pcm.stuckOffRate")]
    [InlineData("""{"capabilities":{"vmm":true}}""", "emulator.capabilities.vmm")]
    public void Parse_InvalidSetting_ThrowsWithJsonPath(string emulatorJson, string expectedPath)
    {
        var root = JsonSection.Parse($$"""{"emulator":{{emulatorJson}}}""", "test");

        var ex = Assert.Throws<ConfigException>(() => EmulatorSettings.Parse(root.Section("emulator")));

        Assert.Equal(expectedPath, ex.JsonPath);
    }
}
