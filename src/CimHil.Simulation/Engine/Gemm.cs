using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Serilog;

namespace CimHil.Simulation.Engine;

/// <summary>Which implementation <see cref="Gemm"/> uses.</summary>
public enum GemmBackend
{
    /// <summary>cblas_sgemm from OpenBLAS, loaded at run time.</summary>
    OpenBlas,

    /// <summary>Blocked managed SIMD code (TensorPrimitives), fixed partitioning.</summary>
    Managed,
}

/// <summary>
/// Single-precision row-major GEMM: C = alpha·op(A)·op(B) + beta·C with op(A) m×k, op(B) k×n.
/// Uses OpenBLAS when it can be loaded; otherwise (or when CIMHIL_GEMM=managed) a managed SIMD kernel.
/// </summary>
public static unsafe class Gemm
{
    /// <summary>Environment variable: "managed" forces the managed kernel, "openblas" requires OpenBLAS.</summary>
    public const string BackendVariable = "CIMHIL_GEMM";

    // CBLAS enum values (cblas.h, Netlib CBLAS reference).
    private const int CblasRowMajor = 101;
    private const int CblasNoTrans = 111;
    private const int CblasTrans = 112;

    private static readonly string[] LibraryNames = ["libopenblas.so.0", "libopenblas.so", "openblas"];
    private static readonly Lazy<Native> NativeLib = new(LoadNative, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int s_logged;
    private static GemmBackend? s_forced;

    // The scoped backend follows the logical flow of control (async/await, Parallel.For workers), not the OS thread. It was
    // [ThreadStatic]: a test doing `using var _ = Gemm.Use(Managed); await …;` set it on one xunit thread and restored it on
    // another, so the first thread kept the managed GEMM for good; a later Monte-Carlo run whose Parallel.For used that thread
    // as one of its workers computed that worker's chips with another GEMM (other last bits) than the rest — a chip accuracy
    // that could change between runs for the same seed, depending on which thread ran what (the most likely cause of the
    // ONNX/built-in equivalence test seeing chip 5 of 6 differ once; GemmBackendScopeTests). An AsyncLocal value set inside an
    // async method never leaks back to its caller and flows into the work the flow starts (ExecutionContext; .NET docs,
    // "AsyncLocal<T>"), so every worker of one evaluation uses the caller's backend.
    private static readonly AsyncLocal<GemmBackend?> s_scoped = new();

    /// <summary>The backend in use in this flow of control (this thread, or the async flow and the parallel work it started).</summary>
    public static GemmBackend Backend => s_scoped.Value ?? s_forced ?? (NativeLib.Value.Sgemm is null ? GemmBackend.Managed : GemmBackend.OpenBlas);

    /// <summary>True when OpenBLAS was loaded (regardless of any forced backend).</summary>
    public static bool OpenBlasAvailable => NativeLib.Value.Sgemm is not null;

    /// <summary>Uses <paramref name="backend"/> in the calling flow (and the work it starts) until the scope is disposed (tests compare both paths).</summary>
    public static BackendScope Use(GemmBackend backend)
    {
        if (backend == GemmBackend.OpenBlas && !OpenBlasAvailable)
        {
            throw new InvalidOperationException($"OpenBLAS cannot be used: {NativeLib.Value.Description}");
        }

        var previous = s_scoped.Value;
        s_scoped.Value = backend;
        return new BackendScope(previous);
    }

    /// <summary>Why the backend was chosen, e.g. "OpenBLAS (libopenblas.so.0)" or "managed: OpenBLAS not found (tried …)".</summary>
    public static string Description => s_forced is { } f ? $"{f} (forced by code)" : NativeLib.Value.Description;

    /// <summary>Forces a backend for this process (benchmarks, tests); null restores the automatic choice.</summary>
    public static void Force(GemmBackend? backend)
    {
        if (backend == GemmBackend.OpenBlas && NativeLib.Value.Sgemm is null)
        {
            throw new InvalidOperationException($"OpenBLAS cannot be forced: {NativeLib.Value.Description}");
        }

        s_forced = backend;
    }

    /// <summary>
    /// Sets OpenBLAS's thread count (openblas_set_num_threads; OPENBLAS_NUM_THREADS sets the initial value). One thread is
    /// often faster for the small GEMMs of LeNet-sized layers and on a loaded machine. Returns false without OpenBLAS.
    /// Safe while other threads multiply: the change waits until no OpenBLAS product is in flight (see <see cref="s_threadCountGate"/>);
    /// while a <see cref="SingleThreaded"/> scope is open the count is only recorded and applied when the last scope closes.
    /// </summary>
    public static bool SetOpenBlasThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        if (NativeLib.Value.SetThreads is null)
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

    /// <summary>The thread count OpenBLAS reports (1 without OpenBLAS); for tests and diagnostics.</summary>
    public static int OpenBlasThreads => NativeLib.Value.GetThreads is { } get ? ((delegate* unmanaged<int>)get)() : 1;

    private static readonly Lock s_singleThreadLock = new();
    private static int s_singleThreadUsers;
    private static int s_savedThreads;

    // Why every OpenBLAS product holds this gate for reading and every thread-count change holds it for writing:
    // openblas_set_num_threads is not meant to run while another thread is inside a BLAS call. In OpenBLAS 0.3.x it calls
    // adjust_thread_buffers() (driver/others/blas_server*.c), which frees the work buffers of the threads it drops
    // (blas_memory_free) and allocates those of the threads it adds; a multi-threaded sgemm in flight may still be using
    // them (OpenBLAS fixed related buffer assignment in blas_server.c only in Aug 2024, after the 0.3.21 Debian ships; the
    // REST project's ADR on openblas_set_num_threads reports rare numerical corruption from exactly this). The Monte-Carlo
    // loop changes the count at every evaluation (SingleThreaded below) while other workflows of the process (a trainer, a
    // worst-case search, xunit test classes in parallel, a server running two runs) multiply. A 60 s C stress of the raw
    // library on the 2-core build machine showed no corruption, so this is defence, not the cause of the observed defect
    // (see s_scoped). A writer-preferring ReaderWriterLockSlim: a change waits for the products in flight and holds new ones
    // back until it is done; products never wait for each other.
    private static readonly ReaderWriterLockSlim s_threadCountGate = new(LockRecursionPolicy.NoRecursion);

    // The count last applied through this class (0: not known yet, read from OpenBLAS on first use). Only changes under the
    // write gate, so a product holding the read gate sees the count it will run with.
    private static int s_appliedThreads;

    // Serialises OpenBLAS products that run multi-threaded: the pthread build (Debian's libopenblas0-pthread 0.3.21) shares one
    // thread pool and its buffers between all callers, and the OpenBLAS FAQ (multi-threaded applications) says to run
    // OpenBLAS single-threaded when the application itself calls it from several threads. Single-threaded products take a
    // buffer of their own from OpenBLAS's locked pool and run concurrently (what the Monte-Carlo workers do).
    private static readonly Lock s_multiThreadedProduct = new();

    /// <summary>
    /// Runs OpenBLAS single-threaded until the scope is disposed (nested/concurrent scopes are counted; the last one restores the
    /// previous thread count). For callers that already run one worker per core, e.g. the Monte-Carlo chip loop: OpenBLAS
    /// threads per call would only oversubscribe the cores (openblas_set_num_threads is process-wide; OpenBLAS 0.3.x has no
    /// per-thread setting in the Debian build).
    /// </summary>
    internal static SingleThreadScope SingleThreaded()
    {
        if (NativeLib.Value is not { SetThreads: not null, GetThreads: not null })
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
        var get = NativeLib.Value.GetThreads;
        return get is { } g ? ((delegate* unmanaged<int>)g)() : 0;
    }

    /// <summary>openblas_set_num_threads under the write gate (no product in flight); a no-op when the count is unchanged.</summary>
    private static void ApplyThreads(int threads)
    {
        if (NativeLib.Value.SetThreads is not { } set || CurrentThreads() == threads)
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

    /// <summary>Logs the chosen backend once per process (the managed fallback is a warning: it is several times slower).</summary>
    public static void LogBackendOnce(ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (Interlocked.Exchange(ref s_logged, 1) != 0)
        {
            return;
        }

        if (Backend == GemmBackend.Managed)
        {
            logger.Warning("GEMM backend {GemmBackend}: {GemmDescription}", Backend, Description);
        }
        else
        {
            logger.Information("GEMM backend {GemmBackend}: {GemmDescription}", Backend, Description);
        }
    }

    /// <summary>C[m×n] = alpha·op(A)·op(B) + beta·C, row-major, with leading dimensions lda/ldb/ldc.</summary>
    public static void Multiply(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        if (m == 0 || n == 0)
        {
            return;
        }

        CheckOperand("A", a, transA ? k : m, transA ? m : k, lda);
        CheckOperand("B", b, transB ? n : k, transB ? k : n, ldb);
        CheckOperand("C", c, m, n, ldc);
        if (Backend == GemmBackend.OpenBlas)
        {
            var sgemm = NativeLib.Value.Sgemm!;
            fixed (float* pa = a)
            fixed (float* pb = b)
            fixed (float* pc = c)
            {
                // No thread-count change while this product runs (s_threadCountGate), and one multi-threaded product at a time.
                s_threadCountGate.EnterReadLock();
                try
                {
                    if (CurrentThreads() != 1)
                    {
                        lock (s_multiThreadedProduct)
                        {
                            Sgemm(sgemm.Value, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                        }
                    }
                    else
                    {
                        Sgemm(sgemm.Value, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
                    }
                }
                finally
                {
                    s_threadCountGate.ExitReadLock();
                }
            }

            return;
        }

        ManagedGemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    private static void Sgemm(IntPtr sgemm, bool transA, bool transB, int m, int n, int k, float alpha, float* pa, int lda, float* pb, int ldb, float beta, float* pc, int ldc) =>
        ((delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm)(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            m, n, k, alpha, pa, Math.Max(lda, 1), pb, Math.Max(ldb, 1), beta, pc, Math.Max(ldc, 1));

    /// <summary>Convenience: dense row-major C = op(A)·op(B) (+ C when accumulate).</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, bool accumulate = false) =>
        Multiply(transA, transB, m, n, k, 1f, a, transA ? m : k, b, transB ? k : n, accumulate ? 1f : 0f, c, n);

    private static void CheckOperand(string name, ReadOnlySpan<float> s, int rows, int cols, int ld)
    {
        if (ld < cols)
        {
            throw new ArgumentException($"GEMM operand {name}: leading dimension {ld} is smaller than its {cols} columns.");
        }

        if (rows > 0 && cols > 0 && (long)(rows - 1) * ld + cols > s.Length)
        {
            throw new ArgumentException($"GEMM operand {name}: {rows}×{cols} with leading dimension {ld} needs {(long)(rows - 1) * ld + cols} elements, the buffer has {s.Length}.");
        }
    }

    private static Native LoadNative()
    {
        var env = Environment.GetEnvironmentVariable(BackendVariable);
        if (string.Equals(env, "managed", StringComparison.OrdinalIgnoreCase))
        {
            return new Native(null, null, $"managed kernel forced by {BackendVariable}=managed");
        }

        foreach (var name in LibraryNames)
        {
            if (NativeLibrary.TryLoad(name, out var handle) && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemm))
            {
                IntPtr? setThreads = NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var st) ? st : null;
                IntPtr? getThreads = NativeLibrary.TryGetExport(handle, "openblas_get_num_threads", out var gt) ? gt : null;
                return new Native(sgemm, setThreads, $"OpenBLAS ({name})") { GetThreads = getThreads };
            }
        }

        var why = $"OpenBLAS not found (tried {string.Join(", ", LibraryNames)}); using the managed kernel";
        if (string.Equals(env, "openblas", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{BackendVariable}=openblas but {why}");
        }

        return new Native(null, null, $"managed: {why}");
    }

    private sealed record Native(IntPtr? Sgemm, IntPtr? SetThreads, string Description)
    {
        public IntPtr? GetThreads { get; init; }
    }

    /// <summary>Scope returned by <see cref="Use"/>.</summary>
    public readonly struct BackendScope : IDisposable
    {
        private readonly GemmBackend? _previous;

        internal BackendScope(GemmBackend? previous) => _previous = previous;

        /// <summary>Restores the previous choice.</summary>
        public void Dispose() => s_scoped.Value = _previous;
    }
}

/// <summary>The managed GEMM kernel: blocked row-axpy with TensorPrimitives, parallel over fixed output tiles.</summary>
internal static class ManagedGemm
{
    // Tile sizes chosen so one B panel (KBlock × NBlock floats = 128 KiB) stays in L2 while a row tile streams through it.
    private const int RowTile = 16;
    private const int NBlock = 256;
    private const int KBlock = 128;

    public static void Multiply(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // Normalise to row-major A (m×k, stride ka) and B (k×n, stride kb); transposed operands are copied once.
        float[] aArr;
        int ka;
        if (transA)
        {
            aArr = new float[m * k];
            for (var p = 0; p < k; p++)
            {
                for (var i = 0; i < m; i++)
                {
                    aArr[(i * k) + p] = a[(p * lda) + i];
                }
            }

            ka = k;
        }
        else
        {
            aArr = a.ToArray();
            ka = lda;
        }

        float[] bArr;
        int kb;
        if (transB)
        {
            bArr = new float[k * n];
            for (var j = 0; j < n; j++)
            {
                for (var p = 0; p < k; p++)
                {
                    bArr[(p * n) + j] = b[(j * ldb) + p];
                }
            }

            kb = n;
        }
        else
        {
            bArr = b.ToArray();
            kb = ldb;
        }

        // C is scaled by beta first (beta == 0 overwrites, so NaN/garbage in C does not propagate, as BLAS specifies).
        var cArr = new float[m * n];
        if (beta != 0f)
        {
            for (var i = 0; i < m; i++)
            {
                TensorPrimitives.Multiply(c.Slice(i * ldc, n), beta, cArr.AsSpan(i * n, n));
            }
        }

        var rowTiles = (m + RowTile - 1) / RowTile;
        var colTiles = (n + NBlock - 1) / NBlock;
        var tiles = rowTiles * colTiles;

        void Tile(int t)
        {
            var i0 = (t / colTiles) * RowTile;
            var j0 = (t % colTiles) * NBlock;
            var i1 = Math.Min(i0 + RowTile, m);
            var nb = Math.Min(NBlock, n - j0);
            for (var p0 = 0; p0 < k; p0 += KBlock)
            {
                var p1 = Math.Min(p0 + KBlock, k);
                for (var i = i0; i < i1; i++)
                {
                    var cRow = cArr.AsSpan((i * n) + j0, nb);
                    for (var p = p0; p < p1; p++)
                    {
                        var av = alpha * aArr[(i * ka) + p];
                        if (av != 0f)
                        {
                            TensorPrimitives.MultiplyAdd(bArr.AsSpan((p * kb) + j0, nb), av, cRow, cRow);
                        }
                    }
                }
            }
        }

        // Each output element is owned by one tile and accumulated in ascending p, so the result is the same for any
        // thread count (deterministic).
        if ((long)m * n * k < 1 << 18 || tiles == 1)
        {
            for (var t = 0; t < tiles; t++)
            {
                Tile(t);
            }
        }
        else
        {
            Parallel.For(0, tiles, Tile);
        }

        for (var i = 0; i < m; i++)
        {
            cArr.AsSpan(i * n, n).CopyTo(c.Slice(i * ldc, n));
        }
    }
}
