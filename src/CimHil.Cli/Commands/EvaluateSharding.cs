using System.CommandLine;
using System.CommandLine.Parsing;
using System.Security.Cryptography;
using CimHil.Simulation.MonteCarlo;
using CimHil.Workflows.Sharding;
using CimHil.Workflows.Slurm;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>evaluate</c>'s result file and its split into shards: <c>--out</c> writes the timing-free result file,
/// <c>--shard I/N</c> evaluates only chip range I of N (what each Slurm task runs), and <c>--slurm</c> submits the
/// whole run as a job array plus a merge job whose result file equals the single-process one.
/// </summary>
public sealed class EvaluateSharding(CliServices services)
{
    private readonly Option<string?> _out = new("--out") { Description = "Write the result (per-chip accuracies and summary, no timing) to this JSON file; with --shard, the shard's file" };
    private readonly Option<string?> _shard = new("--shard") { Description = "Evaluate only shard I of N (0-based, e.g. 2/4): the chip range a Slurm task runs; needs --out" };
    private readonly Option<bool> _slurm = new("--slurm") { Description = "Submit the run to Slurm as a job array of shards plus a merge job (docs/slurm.md); prints the job ids and returns" };
    private readonly Option<int?> _shards = new Option<int?>("--shards") { Description = "Shards of a --slurm run (default: slurm.shards of the config, else 4)" }.Within(1, SbatchScript.MaxArrayTasks);
    private readonly Option<string?> _runDir = new("--run-dir") { Description = "Run folder of a --slurm run, on a path every node sees (default: runs/evaluate-<UTC time>)" };
    private readonly Option<bool> _wait = new("--wait") { Description = "With --slurm: block until the merge is done, then print the result" };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddOptions(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in new Option[] { _out, _shard, _slurm, _shards, _runDir, _wait })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>True when the command is to submit to Slurm rather than compute.</summary>
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

    /// <summary>The chip range of <c>--shard</c>, or null for the whole run.</summary>
    public ShardRange? Shard(ParseResult parse, int chips)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(_shard) is not { } text)
        {
            return null;
        }

        if (parse.GetValue(_out) is null)
        {
            throw new CliUsageException("--shard needs --out: the shard's result goes to a file the merge reads");
        }

        try
        {
            return ShardRange.Parse(text, chips, "--shard");
        }
        catch (FormatException ex)
        {
            throw new CliUsageException(ex.Message);
        }
    }

    /// <summary>Evaluates the shard's chips and writes its file.</summary>
    public async Task<int> RunShardAsync(ParseResult parse, ShardRange shard, MonteCarloEvaluator evaluator, TestSet testSet, string architecture, string modelPath, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(shard);
        ArgumentNullException.ThrowIfNull(evaluator);
        ArgumentNullException.ThrowIfNull(testSet);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var nominal = evaluator.EvaluateNominal(testSet);
        var accuracies = evaluator.EvaluateChips(testSet, shard.First, shard.Count, cancellationToken: ct);
        var file = new MonteCarloShard
        {
            Shard = shard.Shard,
            ShardCount = shard.ShardCount,
            FirstChip = shard.First,
            ChipAccuracies = [.. accuracies],
            Run = await IdentityAsync(evaluator, testSet, architecture, modelPath, nominal, ct),
            ElapsedSeconds = started.Elapsed.TotalSeconds,
        };
        var path = parse.GetValue(_out)!;
        await MonteCarloShardMerge.WriteShardAsync(path, file, ct);
        services.Output.WriteLine($"shard {shard.Shard}/{shard.ShardCount}: chips {shard.First}…{shard.First + shard.Count - 1} → {path}");
        return ExitCodes.Success;
    }

    /// <summary>With <c>--out</c>, writes the result file of a whole run.</summary>
    public async Task WriteResultAsync(ParseResult parse, MonteCarloResult result, string architecture, string modelPath, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(result);
        if (parse.GetValue(_out) is not { } path)
        {
            return;
        }

        var identity = new MonteCarloRunIdentity
        {
            Architecture = architecture,
            ModelSha256 = await Sha256Async(modelPath, ct),
            Variation = result.Variation,
            Images = result.Images,
            Chips = result.ChipAccuracies.Length,
            Seed = result.Seed,
            PercentileK = result.PercentileK,
            NominalAccuracy = result.NominalAccuracy,
        };
        await MonteCarloResultFile.From(result, identity).WriteAsync(path, ct);
    }

    /// <summary>Writes the scripts, submits the shards and the merge, prints the job ids; with --wait, follows the run to its end.</summary>
    public async Task<int> SubmitAsync(ParseResult parse, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parse);
        var settings = SlurmSettings.FromJson(services.SimulationConfig(parse).Root.SectionOrEmpty("slurm"));
        var shards = parse.GetValue(_shards) ?? settings.Shards;
        var folder = Path.GetFullPath(parse.GetValue(_runDir) ?? Path.Combine("runs", "evaluate-" + DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)));
        var launcher = SlurmLauncher.Command();
        List<string> shardCommand = [.. launcher, .. ShardArguments(parse), "--shard", SbatchScript.ShardPlaceholder + "/" + shards, "--out", MonteCarloShardMerge.ShardPath(folder, 0).Replace("shard-0.json", "shard-" + SbatchScript.ShardPlaceholder + ".json", StringComparison.Ordinal)];
        List<string> mergeCommand = [.. launcher, "slurm", "merge", folder];
        var run = new SlurmRun(new SlurmCluster(), settings);
        var manifest = await run.SubmitAsync(folder, SlurmMerge.EvaluateKind, "monte-carlo.json", shards, shardCommand, mergeCommand, ct);
        var submission = manifest.Submissions[0];
        services.Output.WriteLine($"submitted {shards} shards as job array {submission.ArrayJobId} and the merge as job {submission.MergeJobId}");
        services.Output.WriteLine($"run folder {folder}: follow it with `cimhil slurm status {folder}` or `cimhil slurm wait {folder}`");
        return parse.GetValue(_wait) ? await SlurmCommand.WaitAndReportAsync(services, run, folder, null, ct) : ExitCodes.Success;
    }

    /// <summary>
    /// The command line of one shard: every token the user gave, in order, except the submission's own options, with
    /// the files and folders it names made absolute (a task may start in another directory on another node).
    /// </summary>
    private static IEnumerable<string> ShardArguments(ParseResult parse)
    {
        string[] dropped = ["--slurm", "--wait", "--shards", "--run-dir", "--out", "--shard"];
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
                var value = tokens[++i].Value;
                yield return File.Exists(value) || Directory.Exists(value) ? Path.GetFullPath(value) : value;
            }
        }
    }

    private static async Task<MonteCarloRunIdentity> IdentityAsync(MonteCarloEvaluator evaluator, TestSet testSet, string architecture, string modelPath, double nominal, CancellationToken ct) => new()
    {
        Architecture = architecture,
        ModelSha256 = await Sha256Async(modelPath, ct),
        Variation = evaluator.Variation.Describe(),
        Images = testSet.Count,
        Chips = evaluator.Options.Chips,
        Seed = evaluator.Options.Seed,
        PercentileK = evaluator.Options.Percentile,
        NominalAccuracy = nominal,
    };

    private static async Task<string> Sha256Async(string path, CancellationToken ct)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
    }
}
