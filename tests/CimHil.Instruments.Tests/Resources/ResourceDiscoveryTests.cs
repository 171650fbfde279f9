using CimHil.Core.Config;
using CimHil.Instruments.Resources;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Resources;

/// <summary>Resource discovery over a fake sysfs tree and a configuration's aliases.</summary>
public sealed class ResourceDiscoveryTests
{
    [Fact]
    public void List_UsbtmcDevicesAndLanAliases_WithWhereTheyWereFound()
    {
        using var sysfs = new FakeSysfs();
        sysfs.Add(0, "05e6", "2450", "04123456", manufacturer: "Keithley Instruments", product: "2450 SourceMeter");
        var aliases = new InstrumentsConfig
        {
            Aliases = new Dictionary<string, string>
            {
                ["smu"] = "tcpip::10.0.0.7::5025::socket",
                ["board"] = "ASRL/dev/ttyUSB0::INSTR",
                ["broken"] = "TCPIP0::::SOCKET",
            },
        };
        var notes = new List<string>();

        var found = ResourceDiscovery.List(aliases, askVendorVisa: false, sysfs.Paths, notes);

        Assert.Contains(new DiscoveredResource("USB0::0x05E6::0x2450::04123456::INSTR", "usbtmc", $"{sysfs.Paths.DevRoot}/usbtmc0 (Keithley Instruments 2450 SourceMeter)"), found);
        Assert.Contains(new DiscoveredResource("TCPIP0::10.0.0.7::5025::SOCKET", "config", "instruments.aliases.smu"), found);
        Assert.DoesNotContain(found, r => r.Description == "instruments.aliases.board");
        Assert.Equal(["instruments.aliases.broken: 'TCPIP0::::SOCKET' is not a valid VISA resource string: it has an empty field between '::' separators"], notes);
    }
}
