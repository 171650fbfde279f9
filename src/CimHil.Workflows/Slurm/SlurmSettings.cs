namespace CimHil.Workflows.Slurm;

/// <summary>
/// The <c>slurm</c> section of hil-config.json: where and how shards are submitted. Every field maps to one sbatch option
/// (sbatch(1)); nothing here is CimHil's own scheduling.
/// </summary>
public sealed record SlurmSettings
{
    /// <summary>sbatch --partition; null: the cluster's default partition.</summary>
    public string? Partition { get; init; }

    /// <summary>sbatch --account; null: the user's default account.</summary>
    public string? Account { get; init; }

    /// <summary>sbatch --time of each shard and of the merge job ("HH:MM:SS", "D-HH:MM:SS" or minutes); null: the partition's default.</summary>
    public string? TimeLimit { get; init; }

    /// <summary>sbatch --cpus-per-task of each shard.</summary>
    public int CpusPerTask { get; init; } = 1;

    /// <summary>sbatch --gpus-per-task of each shard; 0: none requested.</summary>
    public int GpusPerTask { get; init; }

    /// <summary>Further sbatch options, one per element, e.g. "--qos=short" or "--constraint=avx2", written as #SBATCH lines.</summary>
    public IReadOnlyList<string> SbatchOptions { get; init; } = [];

    /// <summary>Shards when the command line does not say (--shards).</summary>
    public int Shards { get; init; } = 4;

    /// <summary>How often <c>slurm wait</c> and <c>--wait</c> ask the queue.</summary>
    public double PollSeconds { get; init; } = 2;

    /// <summary>Refuse a run folder on a node-local file system when the partition has more than one node.</summary>
    public bool RequireSharedPath { get; init; } = true;

    /// <summary>The defaults (no <c>slurm</c> section).</summary>
    public static SlurmSettings Default { get; } = new();

    /// <summary>Reads a <c>slurm</c> section; unknown keys and bad values are refused with their JSON path.</summary>
    public static SlurmSettings FromJson(JsonSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        section.AllowOnly("partition", "account", "timeLimit", "cpusPerTask", "gpusPerTask", "sbatchOptions", "shards", "pollSeconds", "requireSharedPath");
        var d = Default;
        var options = section.Has("sbatchOptions") ? section.Strings("sbatchOptions") : d.SbatchOptions;
        for (var i = 0; i < options.Count; i++)
        {
            if (!options[i].StartsWith('-') || options[i].Contains('\n', StringComparison.Ordinal))
            {
                throw new ConfigException($"{section.PathOf("sbatchOptions")}[{i}]", $"'{options[i]}' is not one sbatch option (it must start with '-' and hold no line break), e.g. \"--qos=short\"");
            }
        }

        var time = section.OptionalString("timeLimit");
        if (time is not null && !SbatchScript.IsTimeLimit(time))
        {
            throw section.Error("timeLimit", $"'{time}' is not a Slurm time limit: use minutes, \"HH:MM:SS\" or \"D-HH:MM:SS\"");
        }

        return new SlurmSettings
        {
            Partition = section.OptionalString("partition"),
            Account = section.OptionalString("account"),
            TimeLimit = time,
            CpusPerTask = section.Int("cpusPerTask", d.CpusPerTask, 1, 4096),
            GpusPerTask = section.Int("gpusPerTask", d.GpusPerTask, 0, 64),
            SbatchOptions = options,
            Shards = section.Int("shards", d.Shards, 1, SbatchScript.MaxArrayTasks),
            PollSeconds = section.Double("pollSeconds", d.PollSeconds, 0.1, 3600),
            RequireSharedPath = section.Bool("requireSharedPath", d.RequireSharedPath),
        };
    }
}
