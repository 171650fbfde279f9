namespace CimHil.Simulation.Engine;

/// <summary>
/// OpenBLAS's process-wide thread count, changed only while no product is in flight: every OpenBLAS product of
/// <see cref="Gemm"/> holds this gate for reading, every thread-count change holds it for writing.
/// </summary>
/// <remarks>
/// Why: openblas_set_num_threads is not meant to run while another thread is inside a BLAS call. In OpenBLAS 0.3.x it calls
/// adjust_thread_buffers() (driver/others/blas_server*.c), which frees the work buffers of the threads it drops
/// (blas_memory_free) and allocates those of the threads it adds; a multi-threaded sgemm in flight may still be using them
/// (OpenBLAS fixed related buffer assignment in blas_server.c only in Aug 2024, after the 0.3.21 Debian ships; the REST
/// project's ADR on openblas_set_num_threads reports rare numerical corruption from exactly this). The Monte-Carlo loop changes
/// the count at every evaluation (<see cref="SingleThreaded"/>) while other workflows of the process (a trainer, a worst-case
/// search, xunit test classes in parallel, a server running two runs) multiply. A 60 s C stress of the raw library on the
/// 2-core build machine showed no corruption, so this is defence, not the cause of the observed defect (see Gemm's scoped
/// backend). The gate with the operand checks costs 72–224 ns per product, against 140–205 ms for a pass of a LeNet-5
/// batch of 200 images (`bench worstcase-steps`, docs/engine.md "Worst-case search time").
/// </remarks>
internal static unsafe class OpenBlasThreadGate
{
    private static readonly Lock s_singleThreadLock = new();
    private static int s_singleThreadUsers;
    private static int s_savedThreads;

    // A writer-preferring ReaderWriterLockSlim: a change waits for the products in flight and holds new ones back until it is
    // done; products never wait for each other.
    private static readonly ReaderWriterLockSlim s_threadCountGate = new(LockRecursionPolicy.NoRecursion);

    // The count last applied through this class (0: not known yet, read from OpenBLAS on first use). Only changes under the
    // write gate, so a product holding the read gate sees the count it will run with.
    private static int s_appliedThreads;

    // Serialises OpenBLAS products that run multi-threaded: the pthread build (Debian's libopenblas0-pthread 0.3.21) shares one
    // thread pool and its buffers between all callers, and the OpenBLAS FAQ (multi-threaded applications) says to run
    // OpenBLAS single-threaded when the application itself calls it from several threads. Single-threaded products take a
    // buffer of their own from OpenBLAS's locked pool and run concurrently (what the Monte-Carlo workers do).
    private static readonly Lock s_multiThreadedProduct = new();

    /// <summary>Sets the count now, or (inside a <see cref="SingleThreaded"/> scope) when the last scope closes. False without the export.</summary>
    public static bool SetThreads(int threads)
    {
        if (Gemm.SetThreadsExport is null)
        {
            return false;
        }

        lock (s_singleThreadLock)
        {
            if (s_singleThreadUsers > 0)
            {
                // A Monte-Carlo loop runs one worker per core with OpenBLAS single-threaded: raising the count now would make
                // several application threads call a multi-threaded sgemm at once. The caller's count takes effect afterwards.
                s_savedThreads = threads;
                return true;
            }

            ApplyThreads(threads);
        }

        return true;
    }

    /// <summary>Runs OpenBLAS single-threaded until the scope is disposed (scopes are counted; the last one restores the count).</summary>
    public static SingleThreadScope SingleThreaded()
    {
        if (Gemm.SetThreadsExport is null || Gemm.GetThreadsExport is null)
        {
            return new SingleThreadScope(false);
        }

        lock (s_singleThreadLock)
        {
            if (s_singleThreadUsers++ == 0)
            {
                s_savedThreads = CurrentThreads();
                ApplyThreads(1);
            }
        }

        return new SingleThreadScope(true);
    }

    /// <summary>Enters the gate for one product: no count change until the scope is disposed, one multi-threaded product at a time.</summary>
    public static ProductScope EnterProduct()
    {
        s_threadCountGate.EnterReadLock();
        var serialised = CurrentThreads() != 1;
        if (serialised)
        {
            s_multiThreadedProduct.Enter();
        }

        return new ProductScope(serialised);
    }

    private static void ReleaseSingleThreaded()
    {
        lock (s_singleThreadLock)
        {
            if (--s_singleThreadUsers == 0)
            {
                ApplyThreads(Math.Max(1, s_savedThreads));
            }
        }
    }

    private static int CurrentThreads()
    {
        if (Volatile.Read(ref s_appliedThreads) is var applied and > 0)
        {
            return applied;
        }

        // 0 (unknown) without openblas_get_num_threads: treated as multi-threaded, and every change is applied.
        return Gemm.GetThreadsExport is { } g ? ((delegate* unmanaged<int>)g)() : 0;
    }

    /// <summary>openblas_set_num_threads under the write gate (no product in flight); a no-op when the count is unchanged.</summary>
    private static void ApplyThreads(int threads)
    {
        if (Gemm.SetThreadsExport is not { } set || CurrentThreads() == threads)
        {
            return;
        }

        s_threadCountGate.EnterWriteLock();
        try
        {
            ((delegate* unmanaged<int, void>)set)(threads);
            Volatile.Write(ref s_appliedThreads, threads);
        }
        finally
        {
            s_threadCountGate.ExitWriteLock();
        }
    }

    /// <summary>Restores OpenBLAS's thread count when disposed (see <see cref="SingleThreaded"/>).</summary>
    internal readonly struct SingleThreadScope(bool active) : IDisposable
    {
        public void Dispose()
        {
            if (active)
            {
                ReleaseSingleThreaded();
            }
        }
    }

    /// <summary>Leaves the gate entered by <see cref="EnterProduct"/>.</summary>
    internal readonly struct ProductScope(bool serialised) : IDisposable
    {
        public void Dispose()
        {
            if (serialised)
            {
                s_multiThreadedProduct.Exit();
            }

            s_threadCountGate.ExitReadLock();
        }
    }
}
