// The chips' variation drawn on the GPU (docs/gpu.md, "The sampler on the GPU"; C# side: DeviceSampler.cs): the CPU's
// streams repeated on the device — SplitMix64 (src/CimHil.Core/Numerics/SplitMix64.cs), SimulationRng.Derive, xoshiro256**
// seeded by SplitMix64 and the 128-layer ziggurat of SimulationRng.NextGaussian, whose tables X and F come from the host
// (the CPU's own doubles). The ziggurat's draws are variable in number (rejections), so a stream cannot be split by jumping:
// one thread runs one chip's stream, in the CPU's draw order. Every double operation is an explicit _rn intrinsic so NVRTC
// cannot contract it into an FMA; only log (the tail beyond r, ~3·10⁻⁴ of the draws) and exp (the wedges, ~1 %) are CUDA's
// libm, not glibc's: each within 1 ulp, so a draw there can differ in its last bit (measured by `gpu check`).

typedef unsigned long long smp_u64;

__device__ __forceinline__ smp_u64 smp_splitmix(smp_u64* state)
{
    *state += 0x9E3779B97F4A7C15ULL;
    smp_u64 z = *state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// SimulationRng.Derive(seed, a, b): three SplitMix64 steps with the indices xor'ed in between.
__device__ __forceinline__ smp_u64 smp_derive(long long seed, long long a, long long b)
{
    smp_u64 x = (smp_u64)seed;
    smp_u64 h = smp_splitmix(&x);
    x = h ^ (smp_u64)a;
    h = smp_splitmix(&x);
    x = h ^ (smp_u64)b;
    return smp_splitmix(&x);
}

struct SmpRng
{
    smp_u64 s0, s1, s2, s3;
};

__device__ __forceinline__ void smp_seed(SmpRng* r, smp_u64 seed)
{
    smp_u64 x = seed;
    r->s0 = smp_splitmix(&x);
    r->s1 = smp_splitmix(&x);
    r->s2 = smp_splitmix(&x);
    r->s3 = smp_splitmix(&x);
}

__device__ __forceinline__ smp_u64 smp_rotl(smp_u64 x, int k) { return (x << k) | (x >> (64 - k)); }

// xoshiro256** (Blackman & Vigna, ACM TOMS 2021), as SimulationRng.NextUInt64.
__device__ __forceinline__ smp_u64 smp_next(SmpRng* r)
{
    const smp_u64 result = smp_rotl(r->s1 * 5, 7) * 9;
    const smp_u64 t = r->s1 << 17;
    r->s2 ^= r->s0;
    r->s3 ^= r->s1;
    r->s1 ^= r->s2;
    r->s0 ^= r->s3;
    r->s2 ^= t;
    r->s3 = smp_rotl(r->s3, 45);
    return result;
}

#define SMP_TWO_POW_MINUS_53 (1.0 / 9007199254740992.0)

// NextDouble: 53 bits times 2^-53 (exact).
__device__ __forceinline__ double smp_double(SmpRng* r) { return __dmul_rn((double)(smp_next(r) >> 11), SMP_TWO_POW_MINUS_53); }

// NextOpenDouble: (53 bits + 0.5)·2^-53, the sum rounded as the CPU rounds it.
__device__ __forceinline__ double smp_open_double(SmpRng* r)
{
    return __dmul_rn(__dadd_rn((double)(smp_next(r) >> 11), 0.5), SMP_TWO_POW_MINUS_53);
}

// SimulationRng.NextGaussian (Marsaglia & Tsang 2000), operation by operation; zx[0..128] and zf[0..128] are the CPU's
// Ziggurat.X and Ziggurat.F, zx[1] = r.
// __noinline__ is load-bearing. Inlined into a kernel whose 32 threads run 32 streams, the optimised code (CUDA 13.0,
// NVRTC and nvcc alike, sm_90) gave wrong draws — a thread's stream went off at its first draw after another thread of
// its warp took the wedge, some draws NaN — while each thread alone (one thread per block), this function out of line,
// or ptxas at -O0 gave every draw bit for bit (bench/gpu/sampler_probe.cu, docs/gpu.md "The sampler on the GPU").
__device__ __noinline__ double smp_gaussian(SmpRng* r, const double* __restrict__ zx, const double* __restrict__ zf)
{
    while (true)
    {
        const smp_u64 bits = smp_next(r);
        const int layer = (int)(bits & 0x7F);
        const double sign = (bits & 0x80) == 0 ? 1.0 : -1.0;
        const double x = __dmul_rn(__dmul_rn((double)(bits >> 11), SMP_TWO_POW_MINUS_53), zx[layer]);
        if (x < zx[layer + 1])
        {
            return __dmul_rn(sign, x);
        }

        if (layer == 0)
        {
            const double R = zx[1];
            double t, e;
            do
            {
                t = __ddiv_rn(-log(smp_open_double(r)), R);
                e = -log(smp_open_double(r));
            } while (__dmul_rn(2.0, e) < __dmul_rn(t, t));

            return __dmul_rn(sign, __dadd_rn(R, t));
        }

        const double u = smp_double(r);
        const double y = __dadd_rn(zf[layer], __dmul_rn(u, __dsub_rn(zf[layer + 1], zf[layer])));
        if (y < exp(__dmul_rn(__dmul_rn(-0.5, x), x)))
        {
            return __dmul_rn(sign, x);
        }
    }
}

// The plain Gaussian weight model (GaussianNoiseModel, weight domain) for chips firstChip … firstChip + chips − 1, one thread
// per chip: chip c's stream is SimulationRng(Derive(seed, c)); layer by layer in forward order, weight i gets
// (float)(σ_l·N(0,1)) (GaussianNoiseModel.Program) added to the noise-free decoded weight base_l[i] (SimulatedChip.Finish),
// written to out_l + slot·size_l — the forward's weight slots. out, base: device addresses per layer; size in floats.
extern "C" __global__ void sample_gaussian_weights(long long seed, int firstChip, int chips, int layers,
                                                   const smp_u64* __restrict__ out, const smp_u64* __restrict__ base,
                                                   const long long* __restrict__ size, const double* __restrict__ sigma,
                                                   const double* __restrict__ zx, const double* __restrict__ zf)
{
    const int slot = blockIdx.x * blockDim.x + threadIdx.x;
    if (slot >= chips)
    {
        return;
    }

    SmpRng r;
    smp_seed(&r, smp_derive(seed, (long long)firstChip + slot, -1));
    for (int l = 0; l < layers; l++)
    {
        const long long n = size[l];
        const double sd = sigma[l];
        const float* __restrict__ w0 = (const float*)base[l];
        float* __restrict__ w = (float*)out[l] + (long long)slot * n;
        for (long long i = 0; i < n; i++)
        {
            const float dw = __double2float_rn(__dmul_rn(sd, smp_gaussian(&r, zx, zf)));
            w[i] = __fadd_rn(w0[i], dw);
        }
    }
}
