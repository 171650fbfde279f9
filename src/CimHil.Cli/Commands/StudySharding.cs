using System.CommandLine;
using CimHil.Core.IO;
using CimHil.Workflows;
using CimHil.Workflows.Sharding;
using CimHil.Workflows.Slurm;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>study</c>'s split into shards, one per (method, training seed), N = methods × seeds: <c>--shard I/N</c> trains and
/// evaluates method I / seeds with seed I % seeds alone into its own folder and copies its study.json to
/// <c>--result</c>; <c>--slurm</c> submits every cell as an array task plus a merge that writes the whole study's
/// study.json, study.md and study.html.
/// </summary>
public sealed class StudySharding(CliServices services)
{
    private readonly Option<string?> _result = new("--result") { Description = "Also write study.json to this file; with --shard, the shard's file (its run folder is the file's path without .json)" };
    private readonly ShardedRunOptions _sharding = new(services, SlurmMerge.StudyKind, Study.JsonFile, "Run only cell I of the N = methods × seeds (0-based; method I / seeds, seed I % seeds, e.g. 1/4): what one Slurm task runs; needs --result");

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddOptions(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_result);
        _sharding.AddTo(command);
    }

    /// <summary>True when the command is to submit to Slurm rather than compute.</summary>
    public bool Submits(ParseResult parse) => _sharding.Submits(parse);

    /// <summary>Submits one shard per (method, seed) cell.</summary>
    public Task<int> SubmitAsync(ParseResult parse, int cells, CancellationToken ct) =>
        _sharding.SubmitAsync(parse, folder => ["--result", ShardFiles.ResultPath(folder, SbatchScript.ShardPlaceholder)], ["--result"], ct, cells);

    /// <summary>The cell shard of <c>--shard</c> (N must be methods × seeds), or null for the whole study.</summary>
    public ShardRange? Shard(ParseResult parse, int methods, int seeds)
    {
        var cells = methods * seeds;
        var shard = _sharding.Shard(parse, cells, "--result", parse?.GetValue(_result) is not null);
        return shard is null || shard.ShardCount == cells
            ? shard
            : throw new CliUsageException($"--shard {shard.Shard}/{shard.ShardCount}: a study has one shard per method and seed, and there are {methods} × {seeds} = {cells}");
    }

    /// <summary>The settings of shard <paramref name="shard"/>: its one method and its one training seed.</summary>
    public static StudySettings Cell(StudySettings settings, ShardRange shard)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(shard);
        var seeds = settings.Seeds.Train;
        return settings with
        {
            Methods = [settings.Methods[shard.Shard / seeds.Count]],
            Seeds = settings.Seeds with { Train = [seeds[shard.Shard % seeds.Count]] },
        };
    }

    /// <summary>The run folder of a shard: the result file's path without its extension.</summary>
    public string ShardFolder(ParseResult parse) => Path.ChangeExtension(Path.GetFullPath(parse.GetValue(_result)!), null);

    /// <summary>With <c>--result</c>, copies the study's study.json there (atomically: a file there is a finished shard).</summary>
    public async Task WriteResultAsync(ParseResult parse, string folder, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(_result) is { } path)
        {
            await AtomicFile.WriteAllTextAsync(path, await File.ReadAllTextAsync(Path.Combine(folder, Study.JsonFile), ct), ct);
        }
    }
}
