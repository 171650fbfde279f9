using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CimHil.Workflows.Slurm;

/// <summary>
/// The batch scripts CimHil hands to sbatch: one job array whose task i runs shard i as a plain <c>cimhil</c>
/// invocation, and a merge job that runs <c>cimhil slurm merge</c> once the array has ended. Options sit in #SBATCH lines
/// (sbatch(1), "the batch script may contain options preceded with #SBATCH"), so the script in the run folder is the
/// whole record of what was asked; the array range and the dependency go on the sbatch command line, because a resume
/// resubmits the same script for a subset of tasks.
/// </summary>
public static partial class SbatchScript
{
    /// <summary>The placeholder in a shard's arguments that becomes the array task id.</summary>
    public const string ShardPlaceholder = "{shard}";

    /// <summary>
    /// Upper bound on array tasks of one submission: Slurm's MaxArraySize defaults to 1001 (slurm.conf(5)), so task ids
    /// 0…1000 are accepted everywhere unless a site lowered it.
    /// </summary>
    public const int MaxArrayTasks = 1000;

    /// <summary>True for a Slurm time limit: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (sbatch(1) --time).</summary>
    public static bool IsTimeLimit(string text) => TimeLimitPattern().IsMatch(text);

    /// <summary>The job-array script: task <c>$SLURM_ARRAY_TASK_ID</c> runs <paramref name="shardCommand"/> with the placeholder replaced.</summary>
    public static string ArrayScript(SlurmSettings settings, string jobName, string runFolder, string workingDirectory, IReadOnlyList<string> shardCommand)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(shardCommand);
        var s = Header(settings, jobName, Path.Combine(runFolder, "logs", "shard-%a.out"), workingDirectory, shardResources: true);
        s.Append("shard=\"$SLURM_ARRAY_TASK_ID\"\n");
        s.Append("exec ").Append(string.Join(' ', shardCommand.Select(a => Quote(a, shard: true)))).Append('\n');
        return s.ToString();
    }

    /// <summary>The merge job's script: runs <paramref name="mergeCommand"/> once (dependency given at submission).</summary>
    public static string MergeScript(SlurmSettings settings, string jobName, string runFolder, string workingDirectory, IReadOnlyList<string> mergeCommand)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(mergeCommand);
        var s = Header(settings, jobName, Path.Combine(runFolder, "logs", "merge-%j.out"), workingDirectory, shardResources: false);
        s.Append("exec ").Append(string.Join(' ', mergeCommand.Select(a => Quote(a, shard: false)))).Append('\n');
        return s.ToString();
    }

    /// <summary>
    /// One shell word: single-quoted (nothing inside is expanded), except that the shard placeholder becomes
    /// "$shard" spliced between quoted pieces.
    /// </summary>
    public static string Quote(string argument, bool shard)
    {
        ArgumentNullException.ThrowIfNull(argument);
        var pieces = shard ? argument.Split(ShardPlaceholder) : [argument];
        return string.Join("\"$shard\"", pieces.Select(p => p.Length == 0 ? string.Empty : "'" + p.Replace("'", "'\\''", StringComparison.Ordinal) + "'"))
            is { Length: > 0 } word ? word : "''";
    }

    private static StringBuilder Header(SlurmSettings settings, string jobName, string output, string workingDirectory, bool shardResources)
    {
        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append("# Written by cimhil; submitted with sbatch. Each task is a plain cimhil invocation (docs/slurm.md).\n");
        Line(s, $"--job-name={jobName}");
        Line(s, $"--output={output}");
        Line(s, $"--chdir={workingDirectory}");
        Line(s, "--ntasks=1");
        if (settings.Partition is { } p)
        {
            Line(s, $"--partition={p}");
        }

        if (settings.Account is { } a)
        {
            Line(s, $"--account={a}");
        }

        if (settings.TimeLimit is { } t)
        {
            Line(s, $"--time={t}");
        }

        if (shardResources)
        {
            Line(s, string.Create(CultureInfo.InvariantCulture, $"--cpus-per-task={settings.CpusPerTask}"));
            if (settings.GpusPerTask > 0)
            {
                Line(s, string.Create(CultureInfo.InvariantCulture, $"--gpus-per-task={settings.GpusPerTask}"));
            }
        }

        foreach (var option in settings.SbatchOptions)
        {
            Line(s, option);
        }

        s.Append("set -euo pipefail\n");
        return s;
    }

    private static void Line(StringBuilder s, string option)
    {
        if (option.Contains('\n', StringComparison.Ordinal))
        {
            throw new SlurmException($"sbatch option '{option}' holds a line break");
        }

        s.Append("#SBATCH ").Append(option).Append('\n');
    }

    [GeneratedRegex(@"^(\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|infinite|UNLIMITED)$", RegexOptions.CultureInvariant)]
    private static partial Regex TimeLimitPattern();
}
