namespace CimHil.Cli;

/// <summary>Process exit codes, documented in README.md and docs/cli.md.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An unexpected failure (a bug): the log file has the stack trace.</summary>
    public const int InternalError = 1;

    /// <summary>The command line was wrong.</summary>
    public const int Usage = 2;

    /// <summary>A configuration, plan, model or data file was wrong or missing.</summary>
    public const int BadInput = 3;

    /// <summary>An operation was refused by a safety limit; nothing was applied.</summary>
    public const int SafetyRefused = 4;

    /// <summary>An instrument did not answer, answered wrongly, or the link failed.</summary>
    public const int InstrumentError = 5;

    /// <summary>The chip refused or failed an operation (capability, address, device error).</summary>
    public const int ChipError = 6;

    /// <summary>Slurm refused or could not take the work (sbatch missing, job refused, run folder not shared), or a sharded run ended with shards missing.</summary>
    public const int SlurmError = 7;

    /// <summary>Interrupted (Ctrl+C); what was measured is kept.</summary>
    public const int Cancelled = 130;
}
