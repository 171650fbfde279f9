using System.CommandLine;
using CimHil.Core.IO;
using CimHil.Simulation.WorstCase;
using CimHil.Workflows.Sharding;
using CimHil.Workflows.Slurm;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>worst-case</c>'s result file and its split into shards: <c>--result</c> writes the curve with its Δ files,
/// <c>--shard I/N</c> runs the sweep with restart stream I (shard 0 is exactly the single-process search), and
/// <c>--slurm</c> submits N such sweeps plus a merge that keeps, per bound, the most harmful Δ of all.
/// </summary>
public sealed class WorstCaseSharding(CliServices services)
{
    private readonly Option<string?> _result = new("--result") { Description = "Write the result (curve over k, Δ files, Monte-Carlo reference; no timing) to this JSON file; with --shard, the shard's file" };
    private readonly ShardedRunOptions _sharding = new(services, SlurmMerge.WorstCaseKind, "worst-case.json",
        "Run the sweep as shard I of N (0-based, e.g. 2/4): shard 0 searches with --seed, shard I > 0 with restarts of its own; needs --result");

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddOptions(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_result);
        _sharding.AddTo(command);
    }

    /// <summary>True when the command is to submit to Slurm rather than compute.</summary>
    public bool Submits(ParseResult parse) => _sharding.Submits(parse);

    /// <summary>The shard of <c>--shard</c>, or null for the whole run.</summary>
    public ShardRange? Shard(ParseResult parse) => _sharding.Shard(parse, 1, "--result", parse?.GetValue(_result) is not null);

    /// <summary>Submits the shards: each sweeps into its own folder and writes its file into the run folder's shards/.</summary>
    public Task<int> SubmitAsync(ParseResult parse, CancellationToken ct) =>
        _sharding.SubmitAsync(
            parse,
            folder => ["--out", ShardFiles.FolderPath(folder, SbatchScript.ShardPlaceholder), "--result", ShardFiles.ResultPath(folder, SbatchScript.ShardPlaceholder)],
            ["--out", "--result"],
            ct);

    /// <summary>With <c>--result</c>, writes the sweep's result file (a shard's, when <paramref name="shard"/> is set).</summary>
    public async Task WriteResultAsync(ParseResult parse, ShardRange? shard, WorstCaseReport report, string architecture, string modelPath, WorstCaseRequest request, long seed, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(request);
        if (parse.GetValue(_result) is not { } path)
        {
            return;
        }

        var identity = new WorstCaseRunIdentity
        {
            Architecture = architecture,
            ModelSha256 = await FileHash.Sha256HexAsync(modelPath, ct),
            Bound = report.Bound,
            Method = report.Method,
            Steps = request.Search.Steps,
            Restarts = request.Search.Restarts,
            Images = report.Images,
            Devices = report.Devices,
            CleanAccuracy = report.CleanAccuracy,
            Ks = WorstCaseShardMerge.KsText(request.Ks),
            Seed = seed,
        };
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        await WorstCaseResultFile.From(report, identity, folder, shard?.Shard).WriteAsync(path, ct);
        if (shard is not null)
        {
            services.Output.WriteLine($"shard {shard.Shard}/{shard.ShardCount} → {path}");
        }
    }
}
