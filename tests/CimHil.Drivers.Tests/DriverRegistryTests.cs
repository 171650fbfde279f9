using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Drivers.CimHilBoard;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests;

/// <summary>Drivers are found by scanning the CimHil.Drivers.*.dll files: no edit in src/ registers them.</summary>
public sealed class DriverRegistryTests
{
    [Fact]
    public void FromDirectory_FindsEveryDriverBesideTheTests()
    {
        var registry = DriverRegistry.FromDirectory(AppContext.BaseDirectory);

        var ids = registry.All.Select(d => d.Id).ToList();
        Assert.Contains("emulator", ids);
        Assert.Contains("cimhil-board", ids);
        Assert.Contains("smu-matrix", ids);
        Assert.All(registry.All, d => Assert.False(string.IsNullOrWhiteSpace(d.Description)));
    }

    /// <summary>Every driver the scan finds beside the tests, so a new driver gets these checks without an edit here.</summary>
    public static TheoryData<string> RegisteredDrivers()
    {
        var ids = new TheoryData<string>();
        foreach (var d in DriverRegistry.FromDirectory(AppContext.BaseDirectory).All)
        {
            ids.Add(d.Id);
        }

        return ids;
    }

    [Theory]
    [MemberData(nameof(RegisteredDrivers))]
    public void EveryDriver_DocumentsItsSettings(string id)
    {
        var driver = DriverRegistry.FromDirectory(AppContext.BaseDirectory).Get(id).Create();
        var doc = File.ReadAllText(RepositoryFile("docs/drivers.md"));

        Assert.Contains($"`{id}`", doc, StringComparison.Ordinal);
        Assert.All(driver.Settings, s => Assert.False(string.IsNullOrWhiteSpace(s.Description), s.Name));
        Assert.All(driver.Settings, s => Assert.True(doc.Contains($"`{s.Name}`", StringComparison.Ordinal) || doc.Contains($"\"{s.Name}\"", StringComparison.Ordinal), $"docs/drivers.md does not name {id}'s setting {s.Name}"));
    }

    [Fact]
    public void RegisteredDrivers_AreEveryDriverProject()
    {
        var projects = Directory.GetDirectories(RepositoryFile("drivers")).Length;
        Assert.Equal(projects, RegisteredDrivers().Count);
    }

    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void BoardSettings_UnknownFormat_NamesThePath()
    {
        var config = Benches.Config("cimhil-board", """{ "resource": "TCPIP0::127.0.0.1::5025::SOCKET", "dataFormat": "real32" }""");

        var error = Assert.Throws<ConfigException>(() => new CimHilBoardDriver().Parse(config.Chip.Settings));

        Assert.Equal("chip.settings.dataFormat", error.JsonPath);
    }

    [Fact]
    public async Task BoardResource_ResolvesAliases()
    {
        await using var rig = await Benches.BoardAsync();
        var json = $$"""
            { "chip": { "driver": "cimhil-board", "settings": { "resource": "board" },
              "safety": { "maxSetVoltageV": 3, "maxResetVoltageV": 3.5, "maxFormVoltageV": 5, "maxReadVoltageV": 0.5, "maxGateVoltageV": 3,
                          "maxComplianceA": 0.0005, "maxPulseWidthSeconds": 0.001, "minPulseWidthSeconds": 1e-8 } },
              "instruments": { "aliases": { "board": "{{rig.Resources[0]}}" } } }
            """;
        var config = HilConfigLoader.Parse(json);
        var registry = DriverRegistry.Scan([typeof(CimHilBoardDriver).Assembly]);

        await using var chip = await ChipConnector.ConnectAsync(config, registry, Benches.Logger, CancellationToken.None);

        Assert.Equal("EMU-DRV-7", chip.Identity.Serial);
        Assert.Equal(4, chip.Geometry.Rows);
    }
}
