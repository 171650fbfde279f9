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
    /// Safe while other threads multiply: the change waits until no OpenBLAS product is in flight (<see cref="OpenBlasThreadGate"/>);
    /// while a <see cref="SingleThreaded"/> scope is open the count is only recorded and applied when the last scope closes.
    /// </summary>
    public static bool SetOpenBlasThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        return OpenBlasThreadGate.SetThreads(threads);
    }

    /// <summary>The thread count OpenBLAS reports (1 without OpenBLAS); for tests and diagnostics.</summary>
    public static int OpenBlasThreads => GetThreadsExport is { } get ? ((delegate* unmanaged<int>)get)() : 1;

    /// <summary>openblas_set_num_threads, when OpenBLAS is loaded and exports it.</summary>
    internal static IntPtr? SetThreadsExport => NativeLib.Value.SetThreads;

    /// <summary>openblas_get_num_threads, when OpenBLAS is loaded and exports it.</summary>
    internal static IntPtr? GetThreadsExport => NativeLib.Value.GetThreads;

    /// <summary>
    /// Runs OpenBLAS single-threaded until the scope is disposed (nested/concurrent scopes are counted; the last one restores the
    /// previous thread count). For callers that already run one worker per core, e.g. the Monte-Carlo chip loop: OpenBLAS
    /// threads per call would only oversubscribe the cores (openblas_set_num_threads is process-wide; OpenBLAS 0.3.x has no
    /// per-thread setting in the Debian build).
    /// </summary>
    internal static OpenBlasThreadGate.SingleThreadScope SingleThreaded() => OpenBlasThreadGate.SingleThreaded();

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
                // No thread-count change while this product runs, and one multi-threaded product at a time (OpenBlasThreadGate).
                using (OpenBlasThreadGate.EnterProduct())
                {
                    Sgemm(sgemm.Value, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
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
