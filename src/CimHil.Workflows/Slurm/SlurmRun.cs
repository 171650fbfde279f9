using System.Globalization;
using CimHil.Workflows.Sharding;

namespace CimHil.Workflows.Slurm;

/// <summary>
/// A sharded run on Slurm, kept in one run folder: submit (a job array of shards and a merge job that depends on it),
/// status, wait and resume. Slurm schedules; CimHil only writes the scripts, reads the queue and the folder.
/// </summary>
public sealed class SlurmRun(SlurmCluster cluster, SlurmSettings settings)
{
    /// <summary>
    /// Creates <paramref name="runFolder"/>, writes the scripts and submits all shards and the merge. The shard command
    /// holds <see cref="SbatchScript.ShardPlaceholder"/> where the shard index goes.
    /// </summary>
    public async Task<SlurmRunManifest> SubmitAsync(
        string runFolder, string kind, string resultFile, int shardCount, IReadOnlyList<string> shardCommand, IReadOnlyList<string> mergeCommand, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(shardCommand);
        ArgumentNullException.ThrowIfNull(mergeCommand);
        var folder = Path.GetFullPath(runFolder);
        if (File.Exists(Path.Combine(folder, SlurmRunManifest.FileName)))
        {
            throw new SlurmException($"{folder} already holds a Slurm run: follow it with `cimhil slurm status {folder}`, or choose another --run-dir");
        }

        if (shardCount < 1 || shardCount > SbatchScript.MaxArrayTasks)
        {
            throw new SlurmException($"{shardCount} shards: must be between 1 and {SbatchScript.MaxArrayTasks}");
        }

        Directory.CreateDirectory(Path.Combine(folder, "logs"));
        Directory.CreateDirectory(Path.Combine(folder, "shards"));
        if (settings.RequireSharedPath && File.Exists("/proc/mounts"))
        {
            SharedPathCheck.Check(folder, await cluster.NodeCountAsync(settings.Partition, cancellationToken), await File.ReadAllLinesAsync("/proc/mounts", cancellationToken));
        }

        var workingDirectory = Directory.GetCurrentDirectory();
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, SlurmRunManifest.ArrayScriptName), SbatchScript.ArrayScript(settings, $"cimhil-{kind}", folder, workingDirectory, shardCommand), cancellationToken);
        await AtomicFile.WriteAllTextAsync(Path.Combine(folder, SlurmRunManifest.MergeScriptName), SbatchScript.MergeScript(settings, $"cimhil-{kind}-merge", folder, workingDirectory, mergeCommand), cancellationToken);
        var submission = await SubmitShardsAsync(folder, Enumerable.Range(0, shardCount).ToArray(), cancellationToken);
        var manifest = new SlurmRunManifest
        {
            Kind = kind,
            ShardCount = shardCount,
            ResultFile = resultFile,
            Submissions = [submission],
            CreatedUtc = submission.SubmittedUtc,
        };
        await manifest.SaveAsync(folder, cancellationToken);
        return manifest;
    }

    /// <summary>Each shard's and the merge's state now.</summary>
    public async Task<SlurmRunStatus> StatusAsync(string runFolder, CancellationToken cancellationToken)
    {
        var manifest = await SlurmRunManifest.LoadAsync(runFolder, cancellationToken);
        var jobIds = manifest.Submissions.SelectMany(s => new[] { s.ArrayJobId, s.MergeJobId }).Where(id => id.Length > 0).ToHashSet(StringComparer.Ordinal);
        var queue = await cluster.QueueAsync(jobIds, cancellationToken);
        var shards = new List<ShardStatus>(manifest.ShardCount);
        for (var i = 0; i < manifest.ShardCount; i++)
        {
            // The newest submission that ran shard i owns it: a resumed shard's old task has left the queue.
            var owner = manifest.Submissions.Last(s => s.Shards.Contains(i));
            var id = string.Create(CultureInfo.InvariantCulture, $"{owner.ArrayJobId}_{i}");
            var state = File.Exists(ShardFiles.ResultPath(runFolder, i)) ? ShardStatus.Done
                : queue.TryGetValue(id, out var q) ? q.ToLowerInvariant()
                : ShardStatus.Failed;
            shards.Add(new ShardStatus(i, state, id));
        }

        var merge = manifest.Submissions[^1].MergeJobId;
        var mergeState = File.Exists(Path.Combine(runFolder, manifest.ResultFile)) ? ShardStatus.Done
            : queue.TryGetValue(merge, out var m) ? m.ToLowerInvariant()
            : ShardStatus.Failed;
        return new SlurmRunStatus(manifest, shards, mergeState, merge);
    }

    /// <summary>Polls until nothing of the run is queued (or <paramref name="timeout"/> passes); reports each new summary.</summary>
    public async Task<SlurmRunStatus> WaitAsync(string runFolder, TimeSpan? timeout, IProgress<SlurmRunStatus>? progress, CancellationToken cancellationToken)
    {
        var deadline = timeout is { } t ? DateTimeOffset.UtcNow + t : DateTimeOffset.MaxValue;
        string? last = null;
        while (true)
        {
            var status = await StatusAsync(runFolder, cancellationToken);
            if (status.Summary() != last)
            {
                last = status.Summary();
                progress?.Report(status);
            }

            if (status.Settled)
            {
                return status;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new TimeoutException($"{runFolder}: still running after {timeout!.Value.TotalSeconds:F0} s ({status.Summary()})");
            }

            await Task.Delay(TimeSpan.FromSeconds(settings.PollSeconds), cancellationToken);
        }
    }

    /// <summary>
    /// Resubmits only the shards that left the queue without a result, and a new merge (alone, when every shard is done
    /// but the merge failed). Refused while any job of the run is still queued or when the run is complete.
    /// </summary>
    public async Task<SlurmSubmission> ResumeAsync(string runFolder, CancellationToken cancellationToken)
    {
        var folder = Path.GetFullPath(runFolder);
        var status = await StatusAsync(folder, cancellationToken);
        if (status.Complete)
        {
            throw new SlurmException($"{folder} is complete ({status.Manifest.ResultFile}): nothing to resume");
        }

        if (!status.Settled)
        {
            var queued = status.Shards.Where(s => s.State is not (ShardStatus.Done or ShardStatus.Failed)).Select(s => s.JobId!).Append(status.MergeState is ShardStatus.Failed ? null : status.MergeJobId).OfType<string>();
            throw new SlurmException($"{folder} still has jobs in the queue ({string.Join(", ", queued)}): wait for them (`cimhil slurm wait`) or scancel them first");
        }

        var failed = status.FailedShards;
        var submission = await SubmitShardsAsync(folder, failed, cancellationToken);
        await (status.Manifest with { Submissions = [.. status.Manifest.Submissions, submission] }).SaveAsync(folder, cancellationToken);
        return submission;
    }

    private async Task<SlurmSubmission> SubmitShardsAsync(string folder, IReadOnlyList<int> shards, CancellationToken cancellationToken)
    {
        var array = string.Empty;
        List<string> mergeArguments = [];
        if (shards.Count > 0)
        {
            array = await cluster.SubmitAsync(Path.Combine(folder, SlurmRunManifest.ArrayScriptName), ["--array=" + string.Join(',', shards)], cancellationToken);
            // afterany, not afterok: the merge must also run when a shard failed, to name it (a failed afterok
            // dependency would leave the merge pending forever, sbatch(1) --dependency).
            mergeArguments.Add("--dependency=afterany:" + array);
        }

        string merge;
        try
        {
            merge = await cluster.SubmitAsync(Path.Combine(folder, SlurmRunManifest.MergeScriptName), mergeArguments, cancellationToken);
        }
        catch (SlurmException ex) when (array.Length > 0)
        {
            throw new SlurmException($"{ex.Message}; the shards were submitted as job {array} (scancel {array} to stop them)", ex);
        }

        return new SlurmSubmission(array, merge, shards, DateTimeOffset.UtcNow);
    }
}
