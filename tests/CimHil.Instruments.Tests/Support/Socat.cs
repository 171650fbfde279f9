using System.Diagnostics;

namespace CimHil.Instruments.Tests.Support;

/// <summary>socat (an independent, non-.NET peer) run as a child process for the duration of a test.</summary>
internal sealed class Socat : IAsyncDisposable
{
    public const string Path = "/usr/bin/socat";

    private readonly Process _process;

    private Socat(Process process) => _process = process;

    public static bool Available => File.Exists(Path);

    public static Socat Start(params string[] arguments)
    {
        var info = new ProcessStartInfo(Path) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        return new Socat(Process.Start(info) ?? throw new InvalidOperationException("socat did not start"));
    }

    /// <summary>Runs socat to completion with <paramref name="input"/> on stdin; returns stdout.</summary>
    public static async Task<string> RunAsync(string input, TimeSpan timeout, params string[] arguments)
    {
        await using var socat = Start(arguments);
        await socat._process.StandardInput.WriteAsync(input);
        await socat._process.StandardInput.FlushAsync();
        socat._process.StandardInput.Close();
        var output = socat._process.StandardOutput.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await socat._process.WaitForExitAsync(cts.Token);
        return await output;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
