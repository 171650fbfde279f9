// Host build of the GPU sampler (src/CimHil.Simulation.Cuda/Kernels/sampler.cu) for CI, which has no GPU: the CUDA
// built-ins for one host thread per block (blockDim = 1, so blockIdx.x is the chip slot), the _rn intrinsics as plain IEEE
// double and float operations (x86-64 without -mfma has no fused multiply–add to contract into), log and exp glibc's — the
// functions .NET's Math.Log and Math.Exp call on Linux. DeviceSamplerHostTests compares the draws with SimulationRng and the
// weights with SimulatedChip bit for bit. Built by the tests with g++ (tests/Shared/NativeStandIn.cs).
#include "cuda_host.h"

#include "sampler.cu"

// n standard normals of stream SimulationRng(Derive(seed, a, b)), in order.
extern "C" void run_gaussians(long long seed, long long a, long long b, long long n, const double* zx, const double* zf, double* out)
{
    SmpRng r;
    smp_seed(&r, smp_derive(seed, a, b));
    for (long long i = 0; i < n; i++)
    {
        out[i] = smp_gaussian(&r, zx, zf);
    }
}

extern "C" void run_sample_gaussian_weights(long long seed, int firstChip, int chips, int layers, const smp_u64* out, const smp_u64* base,
                                            const long long* size, const double* sigma, const double* zx, const double* zf)
{
    for (int c = 0; c < chips; c++)
    {
        blockIdx = {(unsigned)c, 0, 0};
        sample_gaussian_weights(seed, firstChip, chips, layers, out, base, size, sigma, zx, zf);
    }
}
