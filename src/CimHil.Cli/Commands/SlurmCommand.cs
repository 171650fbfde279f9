using System.CommandLine;
using System.Globalization;
using CimHil.Workflows;
using CimHil.Workflows.Sharding;
using CimHil.Workflows.Slurm;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>cimhil slurm status|wait|resume|merge RUN</c>: follow, finish and repair a run that <c>--slurm</c> submitted. The
/// run folder holds everything (slurm.json, the scripts, shard results, logs), so these need no other argument.
/// </summary>
public static class SlurmCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliServices services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var root = new Command("slurm", "Follow, wait for, resume and merge runs submitted with --slurm (docs/slurm.md)");
        root.Subcommands.Add(Status(services));
        root.Subcommands.Add(Wait(services));
        root.Subcommands.Add(Resume(services));
        root.Subcommands.Add(Merge(services));
        return root;
    }

    /// <summary>Waits for the run in <paramref name="folder"/> to settle; prints the result, or names the failed shards (exit 7).</summary>
    public static async Task<int> WaitAndReportAsync(CliServices services, SlurmRun run, string folder, TimeSpan? timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(run);
        var status = await run.WaitAsync(folder, timeout, new SynchronousProgress<SlurmRunStatus>(s => services.Error.WriteLine($"{folder}: {s.Summary()}")), ct);
        if (!status.Complete)
        {
            var failed = status.FailedShards;
            throw new SlurmException(failed.Count > 0
                ? $"{folder}: shard{(failed.Count > 1 ? "s" : string.Empty)} {string.Join(", ", failed)} of {status.Manifest.ShardCount} ended without a result (logs in {Path.Combine(folder, "logs")}); `cimhil slurm resume {folder}` runs only those again"
                : $"{folder}: every shard finished but the merge did not (see {Path.Combine(folder, "logs")}/merge-*.out); `cimhil slurm resume {folder}` runs the merge again");
        }

        var path = Path.Combine(folder, status.Manifest.ResultFile);
        if (status.Manifest.Kind == SlurmMerge.EvaluateKind)
        {
            var result = await StageResultFile.ReadJsonAsync<MonteCarloResultFile>(path, WorkflowJson.Options, r => r.Run is not null, ct);
            services.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Monte-Carlo of {result.Run.Architecture} ({result.Run.Images} images × {result.Run.Chips} chips, seed {result.Run.Seed}): mean {result.Mean:P2}, minimum {result.Minimum:P2}, percentile k={result.Run.PercentileK:G3} {result.Percentile:P2}"));
        }

        else if (status.Manifest.Kind == SlurmMerge.WorstCaseKind)
        {
            var result = await WorstCaseResultFile.LoadAsync(path, ct);
            services.Output.WriteLine($"worst case ({result.Run.Method}) of {result.Run.Architecture}, {result.Run.Images} images; box {result.Run.Bound}; best of {status.Manifest.ShardCount} shards");
            foreach (var p in result.Points)
            {
                services.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  k={p.K,-5:0.###} worst-case accuracy {p.Accuracy,8:P2}  shard {p.Shard}{(p.FromSmallerBound ? " (Δ of a smaller k)" : string.Empty)}  {p.Perturbation}"));
            }
        }

        services.Output.WriteLine($"result: {path}");
        return ExitCodes.Success;
    }

    private static Argument<string> RunArgument() => new("run") { Description = "The run folder --slurm printed" };

    private static SlurmRun NewRun(CliServices services, ParseResult parse) =>
        new(new SlurmCluster(), SlurmSettings.FromJson(services.SimulationConfig(parse).Root.SectionOrEmpty("slurm")));

    private static Command Status(CliServices services)
    {
        var run = RunArgument();
        var json = CliServices.JsonOption();
        var command = new Command("status", "Each shard's state (done, pending, running, failed) and the merge's") { run, json };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var status = await NewRun(services, parse).StatusAsync(parse.GetValue(run)!, ct);
            if (parse.GetValue(json))
            {
                services.WriteJson(new { status.Manifest.Kind, status.Manifest.ShardCount, shards = status.Shards, merge = status.MergeState, status.MergeJobId, status.Complete });
                return ExitCodes.Success;
            }

            var w = services.Output;
            w.WriteLine($"{status.Manifest.Kind} run, {status.Manifest.ShardCount} shards — {status.Summary()}");
            foreach (var s in status.Shards)
            {
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  shard {s.Shard,4}  {s.State,-10} job {s.JobId}"));
            }

            w.WriteLine($"  merge       {status.MergeState,-10} job {status.MergeJobId}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Wait(CliServices services)
    {
        var run = RunArgument();
        var timeout = new Option<double?>("--timeout") { Description = "Give up after this many seconds (default: wait as long as it takes)" }.Within(1, 30 * 24 * 3600);
        var command = new Command("wait", "Wait until the run's shards and merge have left the queue; print the result or name the failed shards (exit 7)") { run, timeout };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var folder = Path.GetFullPath(parse.GetValue(run)!);
            var seconds = parse.GetValue(timeout);
            return await WaitAndReportAsync(services, NewRun(services, parse), folder, seconds is { } s ? TimeSpan.FromSeconds(s) : null, ct);
        });
        return command;
    }

    private static Command Resume(CliServices services)
    {
        var run = RunArgument();
        var wait = new Option<bool>("--wait") { Description = "Block until the resumed run is merged" };
        var command = new Command("resume", "Resubmit only the shards that ended without a result, and the merge") { run, wait };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var folder = Path.GetFullPath(parse.GetValue(run)!);
            var slurm = NewRun(services, parse);
            var submission = await slurm.ResumeAsync(folder, ct);
            services.Output.WriteLine(submission.Shards.Count > 0
                ? $"resubmitted shard{(submission.Shards.Count > 1 ? "s" : string.Empty)} {string.Join(", ", submission.Shards)} as job array {submission.ArrayJobId} and the merge as job {submission.MergeJobId}"
                : $"every shard is done; resubmitted the merge as job {submission.MergeJobId}");
            return parse.GetValue(wait) ? await WaitAndReportAsync(services, slurm, folder, null, ct) : ExitCodes.Success;
        });
        return command;
    }

    private static Command Merge(CliServices services)
    {
        var run = RunArgument();
        var command = new Command("merge", "Merge the run's shard results into its result file (what the merge job runs; safe to run by hand)") { run };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var path = await SlurmMerge.MergeAsync(Path.GetFullPath(parse.GetValue(run)!), ct);
            services.Output.WriteLine($"merged: {path}");
            return ExitCodes.Success;
        });
        return command;
    }
}
