using System.Diagnostics;

namespace CimHil.Tests.Shared;

/// <summary>A child process of a test (cimhil, a terminal around it, python3) that cannot outlive its time.</summary>
internal static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="start"/> (stdout and stderr redirected) and waits for it; past <paramref name="timeout"/> it
    /// is killed with every process it started and the test fails with what it had written, <paramref name="what"/> named
    /// (a hung child left running would hold its files, ports and terminal for the rest of the test run).
    /// </summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(ProcessStartInfo start, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(start);
        using var process = Process.Start(start)!;
        if (start.RedirectStandardInput)
        {
            process.StandardInput.Close();
        }

        // Read to the end without a token: the pipes close when the process (tree) ends, killed or not, so what it wrote
        // before a timeout is still there to report.
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"{what} ran past {timeout.TotalSeconds:F0} s and was killed with its child processes.\nstdout:\n{await output}\nstderr:\n{await error}");
        }

        return (process.ExitCode, await output, await error);
    }
}
