using System.CommandLine;
using System.CommandLine.Parsing;
using CimHil.Workflows.Sharding;
using CimHil.Workflows.Slurm;

namespace CimHil.Cli.Commands;

/// <summary>
/// The options a command gets when its work can be split into shards: <c>--shard I/N</c> runs one shard (what each
/// Slurm task runs), <c>--slurm</c> submits all shards as a job array plus a merge job (with <c>--shards</c>,
/// <c>--run-dir</c>, <c>--wait</c>). The shard's own output options are the command's (evaluate --out, worst-case
/// --out and --result).
/// </summary>
public sealed class ShardedRunOptions(CliServices services, string kind, string resultFile, string shardDescription)
{
    private readonly Option<string?> _shard = new("--shard") { Description = shardDescription };
    private readonly Option<bool> _slurm = new("--slurm") { Description = "Submit the run to Slurm as a job array of shards plus a merge job (docs/slurm.md); prints the job ids and returns" };
    private readonly Option<int?> _shards = new Option<int?>("--shards") { Description = "Shards of a --slurm run (default: slurm.shards of the config, else 4)" }.Within(1, SbatchScript.MaxArrayTasks);
    private readonly Option<string?> _runDir = new("--run-dir") { Description = $"Run folder of a --slurm run, on a path every node sees (default: runs/{kind}-<UTC time>)" };
    private readonly Option<bool> _wait = new("--wait") { Description = "With --slurm: block until the merge is done, then print the result" };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { _shard, _slurm, _shards, _runDir, _wait })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>True when the command is to submit to Slurm rather than compute; refuses options that do not go together.</summary>
    public bool Submits(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(_slurm) && parse.GetValue(_shard) is not null)
        {
            throw new CliUsageException("--slurm and --shard: a Slurm run submits its shards itself; give one of them");
        }

        if (!parse.GetValue(_slurm) && (parse.GetValue(_shards) is not null || parse.GetValue(_runDir) is not null || parse.GetValue(_wait)))
        {
            throw new CliUsageException("--shards, --run-dir and --wait belong to --slurm");
        }

        return parse.GetValue(_slurm);
    }

    /// <summary>The <c>--shard</c> range over <paramref name="total"/> items, or null for the whole run.</summary>
    public ShardRange? Shard(ParseResult parse, int total, string outputOption, bool hasOutput)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(_shard) is not { } text)
        {
            return null;
        }

        if (!hasOutput)
        {
            throw new CliUsageException($"--shard needs {outputOption}: the shard's result goes to a file the merge reads");
        }

        try
        {
            return ShardRange.Parse(text, total, "--shard");
        }
        catch (FormatException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }

    /// <summary>
    /// Writes the scripts, submits the shards and the merge, prints the job ids; with --wait, follows the run to its
    /// end. <paramref name="shardOutputs"/> gives the output options of shard <see cref="SbatchScript.ShardPlaceholder"/>
    /// in the run folder; <paramref name="outputOptions"/> are the command's own output options, left out of the shards'
    /// command line.
    /// </summary>
    /// <param name="fixedShards">The shard count the work dictates (a study: one shard per method); --shards must agree.</param>
    public async Task<int> SubmitAsync(ParseResult parse, Func<string, IEnumerable<string>> shardOutputs, IReadOnlyList<string> outputOptions, CancellationToken ct, int? fixedShards = null)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(shardOutputs);
        var settings = SlurmSettings.FromJson(services.SimulationConfig(parse).Root.SectionOrEmpty("slurm"));
        if (fixedShards is { } f && parse.GetValue(_shards) is { } asked && asked != f)
        {
            throw new CliUsageException($"--shards {asked}: this {kind} splits into exactly {f} shards");
        }

        var shards = fixedShards ?? parse.GetValue(_shards) ?? settings.Shards;
        var folder = Path.GetFullPath(parse.GetValue(_runDir) ?? Path.Combine("runs", kind + "-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)));
        var launcher = SlurmLauncher.Command();
        List<string> shardCommand = [.. launcher, .. ShardArguments(parse, outputOptions), "--shard", SbatchScript.ShardPlaceholder + "/" + shards, .. shardOutputs(folder)];
        List<string> mergeCommand = [.. launcher, "slurm", "merge", folder];
        var run = new SlurmRun(new SlurmCluster(), settings);
        var manifest = await run.SubmitAsync(folder, kind, resultFile, shards, shardCommand, mergeCommand, ct);
        var submission = manifest.Submissions[0];
        services.Output.WriteLine($"submitted {shards} shards as job array {submission.ArrayJobId} and the merge as job {submission.MergeJobId}");
        services.Output.WriteLine($"run folder {folder}: follow it with `cimhil slurm status {folder}` or `cimhil slurm wait {folder}`");
        return parse.GetValue(_wait) ? await SlurmCommand.WaitAndReportAsync(services, run, folder, null, ct) : ExitCodes.Success;
    }

    /// <summary>
    /// The command line of one shard: every token the user gave, in order, except the submission's own options and the
    /// command's output options, with the files and folders it names made absolute (a task may start elsewhere).
    /// </summary>
    private static IEnumerable<string> ShardArguments(ParseResult parse, IReadOnlyList<string> outputOptions)
    {
        string[] dropped = ["--slurm", "--wait", "--shards", "--run-dir", "--shard", .. outputOptions];
        string[] paths = ["--model", "--device-model", "--data", "--config", "-c"];
        var tokens = parse.Tokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            if (t.Type == TokenType.Option && dropped.Contains(t.Value))
            {
                while (i + 1 < tokens.Count && tokens[i + 1].Type == TokenType.Argument)
                {
                    i++;
                }

                continue;
            }

            yield return t.Value;
            if (t.Type == TokenType.Option && paths.Contains(t.Value) && i + 1 < tokens.Count && tokens[i + 1].Type == TokenType.Argument)
            {
                // A list of files (--data x.npy,y.npy) is made absolute part by part.
                var value = tokens[++i].Value;
                yield return string.Join(',', value.Split(',').Select(v => File.Exists(v) || Directory.Exists(v) ? Path.GetFullPath(v) : v));
            }
        }
    }
}
