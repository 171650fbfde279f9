// The CUDA built-ins the backend's kernels use, for a host build of them in CI, which has no GPU (graph_host.cpp,
// converters_host.cpp, sampler_host.cpp): one host thread per grid (blockDim = gridDim = 1, so each grid-stride loop visits every element),
// blockIdx set by the run_* loops, which visit the chips as the GPU's grid does, and the _rn intrinsics as plain IEEE
// operations (x86-64 without -mfma has no fused multiply–add to contract into).
#pragma once
#include <cmath>
#include <cstring>

using std::isnan;
using std::round;
using std::signbit;

struct HostIndex
{
    unsigned x, y, z;
};

[[maybe_unused]] static HostIndex blockIdx, blockDim = {1, 1, 1}, threadIdx, gridDim = {1, 1, 1};

#define __global__
#define __device__
#define __forceinline__ inline
// Empty rather than GCC's noinline attribute: glibc's headers spell that attribute __noinline__ themselves.
#define __noinline__
#define __restrict__ __restrict

static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline float __double2float_rn(double a) { return (float)a; }
static inline float __int_as_float(int bits)
{
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}
