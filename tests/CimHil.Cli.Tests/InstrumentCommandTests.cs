using CimHil.Core.Chip;
using CimHil.Emulator;
using CimHil.Emulator.Wire;

namespace CimHil.Cli.Tests;

/// <summary>The bench user's first commands, against the emulator served on a real loopback socket.</summary>
public class InstrumentCommandTests
{
    [Fact]
    public async Task Probe_EmulatorOverTcp_ReportsItsIdentityAndLatency()
    {
        var chip = new EmulatedChip(EmulatorSettings.Defaults with { Rows = 8, Columns = 8, Serial = "PROBE-1" });
        using var board = new BoardServer(chip, Serilog.Core.Logger.None);
        await using var server = new BoardTcpServer(board, Serilog.Core.Logger.None, System.Net.IPAddress.Loopback);
        server.Start();

        var (code, output, error) = await CliHarness.RunAsync("instruments", "probe", server.ResourceString, "--count", "5", "--json");

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        Assert.Contains("PROBE-1", json.GetProperty("identity").ToString(), StringComparison.Ordinal);
        Assert.True(json.GetProperty("medianMs").GetDouble() > 0);
        Assert.Equal(0, board.PulsesApplied);
    }

    [Fact]
    public async Task Probe_B1500InFlex_ReadsItsErrorQueueWithErrx()
    {
        var bench = new Emulator.Instruments.B1500.B1500Bench(new EmulatedChip(EmulatorSettings.Defaults with { Rows = 4, Columns = 4 }), Serilog.Core.Logger.None);
        await using var server = new Emulator.Instruments.LineInstrumentServer(bench.Mainframe, Serilog.Core.Logger.None);
        server.Start();
        await bench.Mainframe.ExecuteAsync("BOGUS", CancellationToken.None);

        var (code, output, error) = await CliHarness.RunAsync("instruments", "probe", server.ResourceString, "--count", "2", "--error-query", "ERRX?", "--json");

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(output);
        Assert.Contains("B1500A", json.GetProperty("identity").ToString(), StringComparison.Ordinal);
        Assert.Equal("100", json.GetProperty("errors")[0].GetString()![..3]);
        Assert.Equal(1, json.GetProperty("errors").GetArrayLength());
        Assert.Equal("ERRX?", server.Received[^1]);
    }

    [Fact]
    public async Task Probe_ErrorQueryThatIsNotAQuery_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("instruments", "probe", "TCPIP0::127.0.0.1::5025::SOCKET", "--error-query", "ERRX");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--error-query 'ERRX'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_NobodyListening_ExitsWith5()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var (code, _, error) = await CliHarness.RunAsync("instruments", "probe", $"TCPIP0::127.0.0.1::{port}::SOCKET", "--count", "1");

        Assert.Equal(ExitCodes.InstrumentError, code);
        Assert.Contains($"{port}", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_MalformedResource_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("instruments", "probe", "TCPIP0::::SOCKET");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("TCPIP0::::SOCKET", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InstrumentsList_Json_ListsEveryDriver()
    {
        var (code, output, error) = await CliHarness.RunAsync("instruments", "list", "--json");
        Assert.True(code == ExitCodes.Success, error);
        foreach (var id in new[] { "emulator", "cimhil-board", "smu-matrix" })
        {
            Assert.Contains($"\"{id}\"", output, StringComparison.Ordinal);
        }
    }
}
