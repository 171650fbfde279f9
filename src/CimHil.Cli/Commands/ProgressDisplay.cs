namespace CimHil.Cli.Commands;

/// <summary>How a long command shows its stages' progress.</summary>
internal enum ProgressDisplay
{
    /// <summary>Nothing (--quiet, or --json where stdout carries the JSON document).</summary>
    None,

    /// <summary>Plain lines without escape sequences: stdout is a file or a pipe (a log, a Slurm job, `| tee`).</summary>
    Lines,

    /// <summary>Spectre progress bars redrawn in place: stdout is a terminal.</summary>
    Bars,
}
