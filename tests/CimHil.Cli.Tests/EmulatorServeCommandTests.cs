using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests;

/// <summary>
/// <c>cimhil emulator serve --bench smu-matrix | b1500</c>: the emulated benches on real sockets, driven by the CLI's own
/// smu-matrix and b1500 drivers (the latter through the WGFMU P/Invoke layer and the stand-in library).
/// </summary>
public partial class EmulatorServeCommandTests
{
    [Fact]
    public async Task ServeSmuMatrix_PrintsAChipSection_ThatTheSmuMatrixDriverReadsThrough()
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--bench", "smu-matrix", "--port", "0", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);

        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        var smu = SmuResource().Match(chipLine).Groups[1].Value;
        Assert.Matches(@"^TCPIP0::127\.0\.0\.1::\d+::SOCKET$", smu);
        Assert.Contains("\"rows\": 12, \"columns\": 12", chipLine, StringComparison.Ordinal);

        var config = CliHarness.ConfigVariant(text => text
            .Replace("\"driver\": \"emulator\",\n    \"settings\": {},", DriverAndSettings().Match(chipLine).Value + ",", StringComparison.Ordinal)
            .Replace("\"minPulseWidthSeconds\": 1e-08", "\"minPulseWidthSeconds\": 0.001", StringComparison.Ordinal));
        Assert.Contains("smu-matrix", File.ReadAllText(config), StringComparison.Ordinal);

        var (code, read, error) = await CliHarness.RunAsync("read", "--row", "3", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        var json = CliHarness.Json(read);
        Assert.Equal(12, json.GetProperty("conductancesS").GetArrayLength());
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
        // The driver disposed cleanly: the emulated SMU's output is off at 0 V and the matrix open.
        Assert.Contains("0 short circuits; bench safe", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeB1500_PrintsAChipSection_ThatTheB1500DriverReadsThrough()
    {
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--bench", "b1500", "--port", "0", "--rows", "4", "--columns", "6", "--config", CliHarness.ShippedConfig], serverOut, TextWriter.Null, stop.Token);

        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        Assert.Matches("\"wgfmuAddress\": \"TCPIP0::127\\.0\\.0\\.1::\\d+::SOCKET\"", chipLine);
        Assert.Contains("\"rows\": 4, \"columns\": 6", chipLine, StringComparison.Ordinal);
        var settings = B1500DriverAndSettings().Match(chipLine).Value;
        var config = CliHarness.ConfigVariant(text => text
            .Replace("\"driver\": \"emulator\",\n    \"settings\": {},", settings[..^1] + $", \"wgfmuLibrary\": \"{WgfmuStandIn.LibraryPath}\" }}" + ",", StringComparison.Ordinal)
            .Replace("\"minPulseWidthSeconds\": 1e-08", "\"minPulseWidthSeconds\": 2e-07", StringComparison.Ordinal));
        Assert.Contains("b1500", File.ReadAllText(config), StringComparison.Ordinal);

        var (code, read, error) = await CliHarness.RunAsync("read", "--row", "2", "--json", "--config", config);

        Assert.True(code == ExitCodes.Success, error);
        Assert.Equal(6, CliHarness.Json(read).GetProperty("conductancesS").GetArrayLength());
        await stop.CancelAsync();
        Assert.Equal(ExitCodes.Success, await serving);
        // The driver disposed cleanly: WGFMU at 0 V and disconnected, matrix open.
        Assert.Contains("bench safe (WGFMU at 0 V and disconnected, matrix open)", output.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--rows", "13", "--rows 13")]
    [InlineData("--corrupt", "1", "--corrupt applies to the board bench only")]
    [InlineData("--serial", null, "--serial applies to the board bench only")]
    [InlineData("--max-reply-bytes", "4096", "--max-reply-bytes applies to the board bench only")]
    public async Task ServeSmuMatrix_WithWhatTheStationCannotDo_IsAUsageError(string option, string? value, string message)
    {
        string[] args = value is null
            ? ["emulator", "serve", "--bench", "smu-matrix", "--port", "0", option]
            : ["emulator", "serve", "--bench", "smu-matrix", "--port", "0", option, value];

        var (code, _, error) = await CliHarness.RunAsync(args);

        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeBoard_EnforcesTheConfigsChipSafetyAndReplyCap_AndPrintsThem()
    {
        var config = CliHarness.ConfigVariant(text => text.Replace("\"maxSetVoltageV\": 3.0", "\"maxSetVoltageV\": 1.5", StringComparison.Ordinal));
        var output = new StringWriter();
        var serverOut = TextWriter.Synchronized(output);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var serving = CliApp.RunAsync(["emulator", "serve", "--port", "0", "--max-reply-bytes", "300", "--config", config], serverOut, TextWriter.Null, stop.Token);

        var chipLine = await WaitForLineAsync(serverOut, output, "\"chip\":", serving);
        Assert.Contains("\"driver\": \"cimhil-board\"", chipLine, StringComparison.Ordinal);
        Assert.Contains("\"safety\": { \"maxSetVoltageV\": 1.5, \"maxResetVoltageV\": 3.5,", chipLine, StringComparison.Ordinal);
        var port = int.Parse(BoardPort().Match(chipLine).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        var geometry = string.Join(';', Enumerable.Repeat("ARR:GEOM?", 60)); // 60 × "64,64" and separators: 359 bytes > 300
        await socket.SendAsync(Encoding.ASCII.GetBytes($"CELL:PROG 1,1,SET,2,1e-6\nSYST:ERR?\n{geometry}\nSYST:ERR?\nSYST:PULS:COUN?\n"));
        var reply = await ReceiveLinesAsync(socket, 3);
        await stop.CancelAsync();

        Assert.Equal(ExitCodes.Success, await serving);
        Assert.Equal(
            "-222,\"Data out of range;SET pulse refused: |amplitude| 2 V exceeds the maximum 1.5 V; nothing was applied\"\n"
            + "-430,\"Query DEADLOCKED;the responses to this message exceed the 300-byte output queue at unit 51 (ARR:GEOM?); output discarded, the rest of the message not executed\"\n"
            + "0\n",
            reply);
        Assert.Contains("replies up to 300 bytes", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServeBoard_ReplyCapBelowTheMinimum_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("emulator", "serve", "--port", "0", "--max-reply-bytes", "10", "--config", CliHarness.ShippedConfig);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--max-reply-bytes 10: must be at least 256 bytes", error, StringComparison.Ordinal);
    }

    private static async Task<string> ReceiveLinesAsync(Socket socket, int lines)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (text.ToString().Count(c => c == '\n') < lines)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            Assert.True(n > 0, $"the board closed the connection after: {text}");
            text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    [Fact]
    public async Task Serve_UnknownBench_IsAUsageError()
    {
        var (code, _, error) = await CliHarness.RunAsync("emulator", "serve", "--bench", "b2200");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("b2200", error, StringComparison.Ordinal);
    }

    private static async Task<string> WaitForLineAsync(TextWriter writer, StringWriter buffer, string marker, Task<int> serving)
    {
        for (var i = 0; i < 600 && !serving.IsCompleted; i++)
        {
            string text;
            lock (writer)
            {
                text = buffer.ToString();
            }

            var line = text.Split('\n').FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal));
            if (line is not null)
            {
                return line.TrimEnd('\r');
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"the server never printed '{marker}' (exit {(serving.IsCompleted ? serving.Result : -1)}): {buffer}");
    }

    [GeneratedRegex("\"driver\": \"smu-matrix\", \"settings\": \\{[^}]*\\}")]
    private static partial Regex DriverAndSettings();

    [GeneratedRegex("\"driver\": \"b1500\", \"settings\": \\{[^}]*\\}")]
    private static partial Regex B1500DriverAndSettings();

    [GeneratedRegex("\"resource\": \"TCPIP0::127\\.0\\.0\\.1::(\\d+)::SOCKET\"")]
    private static partial Regex BoardPort();

    [GeneratedRegex("\"smu\": \"([^\"]+)\"")]
    private static partial Regex SmuResource();
}
