using System.CommandLine;
using CimHil.Core.IO;
using CimHil.Simulation.MonteCarlo;
using CimHil.Workflows.Sharding;
using CimHil.Workflows.Slurm;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>evaluate</c>'s result file and its split into shards: <c>--out</c> writes the timing-free result file,
/// <c>--shard I/N</c> evaluates only chip range I of N, and <c>--slurm</c> submits the whole run as a job array plus a
/// merge job whose result file equals the single-process one byte for byte.
/// </summary>
public sealed class EvaluateSharding(CliServices services)
{
    private readonly Option<string?> _out = new("--out") { Description = "Write the result (per-chip accuracies and summary, no timing) to this JSON file; with --shard, the shard's file" };
    private readonly ShardedRunOptions _sharding = new(services, SlurmMerge.EvaluateKind, "monte-carlo.json", "Evaluate only chip range I of N (0-based, e.g. 2/4): what one Slurm task runs; needs --out");

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddOptions(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_out);
        _sharding.AddTo(command);
    }

    /// <summary>True when the command is to submit to Slurm rather than compute.</summary>
    public bool Submits(ParseResult parse) => _sharding.Submits(parse);

    /// <summary>The chip range of <c>--shard</c>, or null for the whole run.</summary>
    public ShardRange? Shard(ParseResult parse, int chips) => _sharding.Shard(parse, chips, "--out", parse?.GetValue(_out) is not null);

    /// <summary>Submits the shards: each writes its file into the run folder's shards/.</summary>
    public Task<int> SubmitAsync(ParseResult parse, CancellationToken ct) =>
        _sharding.SubmitAsync(parse, folder => ["--out", ShardFiles.ResultPath(folder, SbatchScript.ShardPlaceholder)], ["--out"], ct);

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
            Run = new MonteCarloRunIdentity
            {
                Architecture = architecture,
                ModelSha256 = await FileHash.Sha256HexAsync(modelPath, ct),
                Variation = evaluator.Variation.Describe(),
                Images = testSet.Count,
                Chips = evaluator.Options.Chips,
                Seed = evaluator.Options.Seed,
                PercentileK = evaluator.Options.Percentile,
                NominalAccuracy = nominal,
            },
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
            ModelSha256 = await FileHash.Sha256HexAsync(modelPath, ct),
            Variation = result.Variation,
            Images = result.Images,
            Chips = result.ChipAccuracies.Length,
            Seed = result.Seed,
            PercentileK = result.PercentileK,
            NominalAccuracy = result.NominalAccuracy,
        };
        await MonteCarloResultFile.From(result, identity).WriteAsync(path, ct);
    }
}
