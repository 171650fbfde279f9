using System.Runtime.InteropServices;

namespace CimHil.Simulation.Cuda.Interop;

/// <summary>The cuBLAS entry points this backend uses (cuBLAS library user guide, §2.4 and cublas&lt;t&gt;gemmStridedBatched).</summary>
internal static unsafe class Cublas
{
    public const int Success = 0;
    public const int OpN = 0;
    public const int OpT = 1;

    /// <summary>CUBLAS_DEFAULT_MATH: single precision stays FP32 (no tensor-core down-conversion).</summary>
    public const int DefaultMath = 0;

    /// <summary>CUBLAS_TF32_TENSOR_OP_MATH: FP32 products on the tensor cores with TF32 inputs (10-bit mantissa).</summary>
    public const int Tf32TensorOpMath = 3;

    [DllImport(CudaLibraries.Cublas, EntryPoint = "cublasCreate_v2")]
    public static extern int cublasCreate(out IntPtr handle);

    [DllImport(CudaLibraries.Cublas, EntryPoint = "cublasDestroy_v2")]
    public static extern int cublasDestroy(IntPtr handle);

    [DllImport(CudaLibraries.Cublas, EntryPoint = "cublasGetVersion_v2")]
    public static extern int cublasGetVersion(IntPtr handle, out int version);

    [DllImport(CudaLibraries.Cublas)]
    public static extern int cublasSetMathMode(IntPtr handle, int mode);

    [DllImport(CudaLibraries.Cublas, EntryPoint = "cublasSgemm_v2")]
    public static extern int cublasSgemm(
        IntPtr handle, int transA, int transB, int m, int n, int k, float* alpha, ulong a, int lda, ulong b, int ldb, float* beta, ulong c, int ldc);

    [DllImport(CudaLibraries.Cublas)]
    public static extern int cublasSgemmStridedBatched(
        IntPtr handle, int transA, int transB, int m, int n, int k, float* alpha, ulong a, int lda, long strideA,
        ulong b, int ldb, long strideB, float* beta, ulong c, int ldc, long strideC, int batchCount);

    /// <summary>Throws <see cref="CudaException"/> naming the call unless <paramref name="status"/> is CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != Success)
        {
            throw new CudaException($"{call}: cuBLAS status {status}");
        }
    }
}
