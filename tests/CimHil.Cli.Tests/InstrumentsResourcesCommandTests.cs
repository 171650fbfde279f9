using CimHil.Core.Chip;
using CimHil.Emulator;
using CimHil.Emulator.Instruments;

namespace CimHil.Cli.Tests;

/// <summary><c>instruments resources</c>, and <c>instruments probe</c> on TSP instruments and on resources nothing can reach.</summary>
public sealed class InstrumentsResourcesCommandTests
{
    [Fact]
    public async Task Resources_Json_ListsTheConfiguredLanInstrumentAndSaysVisaIsMissing()
    {
        var config = CliHarness.ConfigVariant(s => s.Replace(
            "\"emulator-tcp\": \"TCPIP0::127.0.0.1::5025::SOCKET\"",
            "\"emulator-tcp\": \"TCPIP0::127.0.0.1::5025::SOCKET\", \"scope\": \"tcpip::192.0.2.9::inst0::instr\", \"probe\": \"ASRL/dev/ttyUSB0::INSTR\"",
            StringComparison.Ordinal));

        var (code, output, error) = await CliHarness.RunAsync("instruments", "resources", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        var listed = json.GetProperty("resources").EnumerateArray()
            .Select(r => (r.GetProperty("resource").GetString(), r.GetProperty("source").GetString(), r.GetProperty("description").GetString()))
            .ToList();
        Assert.Contains(("TCPIP0::127.0.0.1::5025::SOCKET", "config", "instruments.aliases.emulator-tcp"), listed);
        Assert.Contains(("TCPIP0::192.0.2.9::inst0::INSTR", "config", "instruments.aliases.scope"), listed);
        Assert.DoesNotContain(listed, r => r.Item3 == "instruments.aliases.probe"); // a serial alias is no LAN instrument
        Assert.Contains(json.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("no vendor VISA library is installed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resources_Table_HasOneRowPerResource()
    {
        var (code, output, error) = await CliHarness.RunAsync("instruments", "resources", "--visa", "Never", "--config", CliHarness.ShippedConfig);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Contains("TCPIP0::127.0.0.1::5025::SOCKET", output, StringComparison.Ordinal);
        Assert.Contains("instruments.aliases.emulator-tcp", output, StringComparison.Ordinal);
        Assert.DoesNotContain("vendor VISA", output, StringComparison.Ordinal); // not asked, so no note
    }

    [Fact]
    public async Task Probe_Tsp707B_ReadsItsErrorQueueThroughErrorqueueNotSystErr()
    {
        var bench = new SmuMatrixBench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 }), Serilog.Core.Logger.None);
        await using var server = new LineInstrumentServer(bench.Matrix, Serilog.Core.Logger.None);
        server.Start();
        await bench.Matrix.ExecuteAsync("bogus.call()", CancellationToken.None);

        var (code, output, error) = await CliHarness.RunAsync("instruments", "probe", server.ResourceString, "--count", "2", "--json", "--config", CliHarness.ShippedConfig);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        Assert.Contains("707B", json.GetProperty("identity").ToString(), StringComparison.Ordinal);
        Assert.Equal("TSP", json.GetProperty("errorQueueFamily").GetString());
        Assert.Equal(1, json.GetProperty("errors").GetArrayLength());
        Assert.DoesNotContain(server.Received, m => m.Contains("SYST:ERR", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(["print(errorqueue.count)", "print(errorqueue.next())"], server.Received.TakeLast(2));
    }

    [Fact]
    public async Task Probe_GpibWithVisaNeverInConfig_SaysWhatWasTriedAndWhatToInstall()
    {
        var config = CliHarness.ConfigVariant(s => s.Replace("\"transport\": {", "\"transport\": {\"visa\": \"never\",", StringComparison.Ordinal));

        var (code, _, error) = await CliHarness.RunAsync("instruments", "probe", "GPIB0::22::INSTR", "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Equal(
            "cimhil: GPIB0::22::INSTR: no transport can reach a GPIB resource: built-in transports tried: socket, serial, VXI-11, HiSLIP, usbtmc (none serves GPIB); "
            + "the vendor VISA was not tried (transport.visa is never). To reach it, install a vendor VISA with a GPIB driver (NI-VISA with NI-488.2, "
            + "Keysight IO Libraries Suite) and set transport.visa to auto (or pass --visa Auto).",
            error.Trim());
    }
}
