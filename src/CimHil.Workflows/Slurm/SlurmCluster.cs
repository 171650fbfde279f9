using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;

namespace CimHil.Workflows.Slurm;

/// <summary>
/// The cluster as its own command-line tools show it: sbatch to submit, squeue to see what is pending or running, sinfo
/// for the nodes of a partition. Nothing else: no accounting database (slurmdbd is often absent, and a result file in
/// the run folder is a better witness that a shard finished than an exit code).
/// </summary>
public sealed class SlurmCluster
{
    /// <summary>How long one Slurm command may take before the call fails (a controller that does not answer).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Submits <paramref name="scriptPath"/> with <paramref name="arguments"/> before it; returns the job id.</summary>
    public async Task<string> SubmitAsync(string scriptPath, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var (code, stdout, stderr) = await RunAsync("sbatch", ["--parsable", .. arguments, scriptPath], cancellationToken);
        if (code != 0)
        {
            throw new SlurmException($"the cluster refused the job {Path.GetFileName(scriptPath)} (sbatch exit {code}): {Trim(stderr)}");
        }

        // --parsable prints "jobid" or "jobid;cluster" (sbatch(1)).
        var id = stdout.Trim().Split(';')[0];
        return id.Length > 0 && id.All(char.IsAsciiDigit)
            ? id
            : throw new SlurmException($"sbatch answered '{Trim(stdout)}' where a job id was expected");
    }

    /// <summary>
    /// State of every task of the given jobs still known to the queue, keyed by Slurm's job id text ("12_3" for task 3
    /// of array 12, "13" for a plain job). Finished jobs are absent.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> QueueAsync(IReadOnlyCollection<string> jobIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobIds);
        // All of the user's jobs, array tasks one per line (-r), then filtered here: squeue -j fails outright once one of
        // the ids has left the controller's memory (MinJobAge), which is the normal end of a job.
        var (code, stdout, stderr) = await RunAsync("squeue", ["--me", "-h", "-r", "-o", "%i|%T"], cancellationToken);
        if (code != 0)
        {
            throw new SlurmException($"squeue failed (exit {code}): {Trim(stderr)}");
        }

        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('|');
            if (parts.Length == 2 && jobIds.Contains(parts[0].Split('_')[0]))
            {
                states[parts[0]] = parts[1];
            }
        }

        return states;
    }

    /// <summary>Nodes of <paramref name="partition"/> (or of all partitions), as sinfo counts them.</summary>
    public async Task<int> NodeCountAsync(string? partition, CancellationToken cancellationToken)
    {
        string[] args = partition is null ? ["-h", "-o", "%D"] : ["-h", "-p", partition, "-o", "%D"];
        var (code, stdout, stderr) = await RunAsync("sinfo", args, cancellationToken);
        if (code != 0)
        {
            throw new SlurmException($"sinfo failed (exit {code}): {Trim(stderr)}");
        }

        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Sum(l => int.TryParse(l, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0);
    }

    private async Task<(int Code, string Stdout, string Stderr)> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new SlurmException($"{tool} could not be started");
        }
        catch (Win32Exception ex)
        {
            throw new SlurmException(
                $"{tool} was not found on PATH ({ex.Message}): --slurm needs Slurm's client tools — on a cluster load them (e.g. `module load slurm`), " +
                "on Debian install slurm-client, or start the single-node cluster of scripts/slurm-local.sh", ex);
        }

        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CommandTimeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill(entireProcessTree: true);
                throw new SlurmException($"{tool} did not answer within {CommandTimeout.TotalSeconds:F0} s: is slurmctld running?");
            }

            return (process.ExitCode, await stdout, await stderr);
        }
    }

    private static string Trim(string text) => text.Trim().ReplaceLineEndings(" ");
}
