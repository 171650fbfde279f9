using System.Diagnostics;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil instruments shell</c> as its own process, commands piped into its standard input, against <c>emulator serve</c>.</summary>
public sealed class InstrumentsShellCommandTests
{
    [Fact]
    public async Task Shell_PipedSession_QueriesWritesReadsErrorsAndTimeouts()
    {
        await using var served = await ServedBoard.StartAsync();
        var (code, output, error) = await RunShellAsync(
            ["instruments", "shell", served.Resource, "--allow-writes"],
            "*IDN?", "write BOGUS:CMD", "error", "error", "timeout 300ms", "NOSUCH:QUERY?", "timeout 2", "write *IDN?", "read", "history", "exit", "*IDN?");

        Assert.True(code == 0, error);
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        Assert.StartsWith($"Connected to {served.Resource} over TcpSocketTransport; timeout 2 s, termination lf.", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("CimHil,", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("-113,", lines[2], StringComparison.Ordinal); // the bogus command's error, read with SYST:ERR?
        Assert.Equal("error queue empty (read with SYST:ERR?)", lines[3]);
        Assert.Equal("timeout 0.3 s", lines[4]);
        Assert.StartsWith("timeout: ", lines[5], StringComparison.Ordinal);
        Assert.Contains("NOSUCH:QUERY?", lines[5], StringComparison.Ordinal);
        Assert.Equal("timeout 2 s", lines[6]);
        Assert.Equal(lines[1], lines[7]); // write, then read: the *IDN? reply read on its own
        Assert.Equal("   1  *IDN?", lines[8]);
        Assert.Equal("  10  history", lines[17]);
        Assert.Equal(2, lines.Count(l => l.StartsWith("CimHil,", StringComparison.Ordinal))); // nothing after exit ran
    }

    [Fact]
    public async Task Shell_WithoutAllowWrites_RefusesWritesAndSendsNothing()
    {
        await using var served = await ServedBoard.StartAsync();
        var (code, output, error) = await RunShellAsync(["instruments", "shell", served.Resource], "CELL:PROG 0,0,SET,9,1e-6", "SYST:PULS:COUN?");

        Assert.True(code == 0, error);
        Assert.Contains("refused: 'CELL:PROG 0,0,SET,9,1e-6' was not sent", output, StringComparison.Ordinal);
        Assert.Contains("\n0\n", output.Replace("\r", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal); // no pulse reached the board
    }

    [Fact]
    public async Task Shell_UnreachableResource_ExitsWithTheTransportMessage()
    {
        var (code, _, error) = await RunShellAsync(["instruments", "shell", "GPIB0::9::INSTR", "--visa", "Never"], "*IDN?");

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("GPIB0::9::INSTR: no transport can reach a GPIB resource", error, StringComparison.Ordinal);
    }

    /// <summary>Runs cimhil in an empty folder (no hil-config.json) with <paramref name="input"/> piped to its standard input.</summary>
    private static async Task<(int Code, string Out, string Err)> RunShellAsync(string[] args, params string[] input)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = CliProcess.EmptyFolder(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cimhil.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment.Remove("CIMHIL_CONFIG");
        start.Environment.Remove("CIMHIL_VISA_LIBRARY");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        foreach (var line in input)
        {
            await process.StandardInput.WriteLineAsync(line);
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
