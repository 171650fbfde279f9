namespace CimHil.Simulation.Cuda;

/// <summary>How cuBLAS multiplies (docs/gpu.md, "Precision"): plain FP32, or TF32 on the tensor cores.</summary>
public enum CudaMathMode
{
    /// <summary>CUBLAS_DEFAULT_MATH: FP32 products and sums; differs from the CPU only in summation order.</summary>
    Fp32,

    /// <summary>CUBLAS_TF32_TENSOR_OP_MATH: inputs rounded to TF32 (10-bit mantissa), FP32 accumulation.</summary>
    Tf32,
}
