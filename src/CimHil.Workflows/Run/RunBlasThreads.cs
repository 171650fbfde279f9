using CimHil.Simulation.Engine;

namespace CimHil.Workflows;

/// <summary>
/// The OpenBLAS thread count a whole <c>run</c> uses, set by whoever starts one (<c>cimhil run</c>, the bench server's
/// run job): one thread, as <c>train</c> defaults to. LeNet's GEMMs are small, and OpenBLAS's spinning workers lose to
/// anything else that runs on the machine (the worst-case stage, measured: docs/engine.md, "Worst-case search time").
/// The Monte-Carlo stage runs single-threaded anyway. The count is process-wide (openblas_set_num_threads).
/// </summary>
public static class RunBlasThreads
{
    /// <summary>The count a run uses.</summary>
    public const int Count = 1;

    /// <summary>Sets it (waiting for products in flight, <see cref="Gemm.SetOpenBlasThreads"/>); false without OpenBLAS.</summary>
    public static bool Apply() => Gemm.SetOpenBlasThreads(Count);
}
