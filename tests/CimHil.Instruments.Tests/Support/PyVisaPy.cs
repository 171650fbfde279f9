using System.Diagnostics;

namespace CimHil.Instruments.Tests.Support;

/// <summary>PyVISA with the pyvisa-py backend (Debian's python3-pyvisa-py, from scripts/setup.sh): an independent VXI-11 client.</summary>
internal static class PyVisaPy
{
    /// <summary>The system interpreter: Debian's python3-pyvisa-py installs for it, not for a pyenv shim first on PATH.</summary>
    public const string Python = "/usr/bin/python3";

    public static bool Available => File.Exists("/usr/lib/python3/dist-packages/pyvisa_py/__init__.py") && File.Exists(Python);

    /// <summary>
    /// Runs <paramref name="script"/> with <paramref name="arguments"/> as sys.argv[1..] and returns stdout; throws with
    /// stderr when the script fails or outlives <paramref name="timeout"/>.
    /// </summary>
    public static async Task<string> RunAsync(string script, TimeSpan timeout, params string[] arguments)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"pyvisa-py did not finish within {timeout}");
        }

        var output = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pyvisa-py exited with {process.ExitCode}: {await stderr}");
        }

        return output;
    }
}
