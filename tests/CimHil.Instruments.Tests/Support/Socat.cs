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

    /// <summary>
    /// Runs socat with <paramref name="input"/> on stdin and returns stdout once <paramref name="expectedLines"/> lines
    /// have arrived. Stdin stays open until then: closing it early starts socat's <c>-t</c> countdown, and a loaded CI
    /// machine can take longer than that to answer, which would cut the reply short.
    /// </summary>
    public static async Task<string> RunAsync(string input, int expectedLines, TimeSpan timeout, params string[] arguments)
    {
        await using var socat = Start(arguments);
        using var cts = new CancellationTokenSource(timeout);
        await socat._process.StandardInput.WriteAsync(input);
        await socat._process.StandardInput.FlushAsync(cts.Token);
        var output = new System.Text.StringBuilder();
        var buffer = new char[256];
        var lines = 0;
        while (lines < expectedLines)
        {
            var n = await socat._process.StandardOutput.ReadAsync(buffer.AsMemory(), cts.Token);
            if (n == 0)
            {
                break;
            }

            output.Append(buffer, 0, n);
            lines += buffer.AsSpan(0, n).Count('\n');
        }

        socat._process.StandardInput.Close();
        output.Append(await socat._process.StandardOutput.ReadToEndAsync(cts.Token));
        await socat._process.WaitForExitAsync(cts.Token);
        return output.ToString();
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
