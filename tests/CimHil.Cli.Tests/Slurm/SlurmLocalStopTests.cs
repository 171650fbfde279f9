using System.Diagnostics;

namespace CimHil.Cli.Tests.Slurm;

/// <summary>
/// <c>slurm-local.sh stop</c> ends only the munged its <c>start</c> started (the PID it recorded), never another one: it
/// once ran <c>pkill munged</c>, which also ended the system's munged or another cluster's. The munged processes here are
/// stand-ins (a copy of sleep named munged, so /proc/PID/comm and pkill -x see "munged"); no Slurm daemon is involved.
/// </summary>
public sealed class SlurmLocalStopTests
{
    private static readonly string Script = Path.Combine(AppContext.BaseDirectory, "slurm", "slurm-local.sh");

    [Fact]
    public async Task Stop_EndsTheRecordedMunged_AndLeavesAnotherMungedAndANonMungedPidAlone()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-slurm-stop-").FullName;
        var munged = Path.Combine(dir, "munged");
        File.Copy("/bin/sleep", munged);
        using var startedHere = Process.Start(munged, "300");
        using var someoneElses = Process.Start(munged, "300");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "munged.pid"), $"{startedHere.Id}\n");

            var (code, error) = await StopAsync(dir);

            Assert.True(code == 0, error);
            using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
            {
                await startedHere.WaitForExitAsync(wait.Token);
            }

            Assert.False(someoneElses.HasExited, "stop ended a munged it did not start");
            Assert.False(File.Exists(Path.Combine(dir, "munged.pid")));

            // A recorded PID that now belongs to another program (PIDs are reused) is not a munged: left alone.
            await File.WriteAllTextAsync(Path.Combine(dir, "munged.pid"), $"{Environment.ProcessId}\n");
            (code, error) = await StopAsync(dir);
            Assert.True(code == 0, error);
            Assert.False(someoneElses.HasExited);
        }
        finally
        {
            foreach (var p in new[] { startedHere, someoneElses }.Where(p => !p.HasExited))
            {
                p.Kill();
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(int Code, string Error)> StopAsync(string dir)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add("stop");
        start.Environment["CIMHIL_SLURM_DIR"] = dir;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await error);
    }
}
