namespace CimHil.Simulation.Tests.Cim;

/// <summary>
/// Tests that set or assert OpenBLAS's process-wide thread count: run alone, after the parallel classes, so neither they
/// nor the other classes see a count changed under them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OpenBlasThreadCountCollection
{
    public const string Name = "OpenBLAS thread count";
}
