namespace CimHil.Cli.Tests.Slurm;

/// <summary>The tests that share one local Slurm cluster (one at a time: they count on the queue being theirs).</summary>
[CollectionDefinition(Name)]
public sealed class SlurmClusterCollection : ICollectionFixture<SlurmClusterFixture>
{
    public const string Name = "slurm cluster";
}
