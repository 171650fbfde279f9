using CimHil.Core.Config;
using CimHil.Emulator.Wire;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>hil-config.json <c>emulator.portmapperPort</c> and <c>emulator.hislipPort</c>: defaults, values, and errors with the JSON path.</summary>
public sealed class EmulatorWirePortsTests
{
    [Fact]
    public void Parse_Absent_IsTheWellKnownPorts111And4880()
    {
        var ports = EmulatorWirePorts.Parse(JsonSection.Parse("""{"emulator":{"rows":4}}""", "test").Section("emulator"));
        Assert.Equal((111, 4880), (ports.PortmapperPort, ports.HiSlipPort));
    }

    [Fact]
    public void Parse_Given_AreTaken_AndTheEmulatorSectionAcceptsThem()
    {
        var section = JsonSection.Parse("""{"emulator":{"rows":4,"portmapperPort":11111,"hislipPort":0}}""", "test").Section("emulator");
        var ports = EmulatorWirePorts.Parse(section);
        Assert.Equal((11111, 0), (ports.PortmapperPort, ports.HiSlipPort));
        Assert.Equal(4, EmulatorSettings.Parse(section).Rows);
    }

    [Theory]
    [InlineData("""{"hislipPort":70000}""", "emulator.hislipPort")]
    [InlineData("""{"portmapperPort":-1}""", "emulator.portmapperPort")]
    public void Parse_OutOfRange_ThrowsWithJsonPath(string emulatorJson, string expectedPath)
    {
        var root = JsonSection.Parse($$"""{"emulator":{{emulatorJson}}}""", "test");
        var ex = Assert.Throws<ConfigException>(() => EmulatorWirePorts.Parse(root.Section("emulator")));
        Assert.Equal(expectedPath, ex.JsonPath);
    }
}
