namespace CimHil.Workflows.Slurm;

/// <summary>
/// Slurm could not take or run the work: its tools are missing, the cluster refused a job, the run folder is not where
/// the nodes can see it, or shards failed. The message says what happened and what to do.
/// </summary>
public sealed class SlurmException(string message, Exception? inner = null) : Exception(message, inner);
