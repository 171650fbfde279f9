using System.CommandLine;
using CimHil.Core.IO;
using CimHil.Workflows;
using CimHil.Workflows.Sharding;
using CimHil.Workflows.Slurm;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>study</c>'s split into shards, one per method: <c>--shard I/N</c> trains and evaluates method I alone into its
/// own folder and copies its study.json to <c>--result</c>; <c>--slurm</c> submits every method as an array task plus
/// a merge that writes the whole study's study.json and study.md.
/// </summary>
public sealed class StudySharding(CliServices services)
{
    private readonly Option<string?> _result = new("--result") { Description = "Also write study.json to this file; with --shard, the shard's file (its run folder is the file's path without .json)" };
    private readonly ShardedRunOptions _sharding = new(services, SlurmMerge.StudyKind, Study.JsonFile, "Run only method I of the N methods (0-based, e.g. 1/4): what one Slurm task runs; needs --result");

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddOptions(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Options.Add(_result);
        _sharding.AddTo(command);
    }

    /// <summary>True when the command is to submit to Slurm rather than compute.</summary>
    public bool Submits(ParseResult parse) => _sharding.Submits(parse);

    /// <summary>Submits one shard per method.</summary>
    public Task<int> SubmitAsync(ParseResult parse, int methods, CancellationToken ct) =>
        _sharding.SubmitAsync(parse, folder => ["--result", ShardFiles.ResultPath(folder, SbatchScript.ShardPlaceholder)], ["--result"], ct, methods);

    /// <summary>The method shard of <c>--shard</c> (N must be the number of methods), or null for the whole study.</summary>
    public ShardRange? Shard(ParseResult parse, int methods)
    {
        var shard = _sharding.Shard(parse, methods, "--result", parse?.GetValue(_result) is not null);
        return shard is null || shard.ShardCount == methods
            ? shard
            : throw new CliUsageException($"--shard {shard.Shard}/{shard.ShardCount}: a study has one shard per method, and there are {methods}");
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
