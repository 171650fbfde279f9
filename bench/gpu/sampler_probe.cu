// Diagnosis of the device sampler (docs/gpu.md, "The sampler on the GPU"): the same sampler.cu built by nvcc for the GPU
// and by g++ for the host (native/cuda-host/sampler_host.cpp, the build CI compares with SimulationRng bit for bit), run
// on the same ziggurat tables (the paper's, or the CPU's from a file): (1) the first N normals of a few streams,
// (2) sample_gaussian_weights itself with its pointer tables, 70 chips of two layers, against the host build's weights.
// Prints the first differing draw of each and exits 1 on any difference.
//   nvcc -O2 -o probe sampler_probe.cu sampler_host.o   (bench/gpu/sampler_probe.sh builds and runs it)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <vector>
#include <cuda_runtime.h>
#include <cuda.h>
#include <nvrtc.h>
#include <string>
#include <fstream>
#include <sstream>
// The host build (sampler_host.o) exports sample_gaussian_weights and the smp_ functions as plain functions, and nvcc
// emits host stubs of __device__ functions too: the GPU ones live in a namespace, the extern "C" kernel is renamed.
#ifndef SAMPLER_FILE
#define SAMPLER_FILE "sampler.cu"
#endif
#define sample_gaussian_weights dev_sample_gaussian_weights
namespace gpusmp
{
#include SAMPLER_FILE
}
#undef sample_gaussian_weights
// The same kernel with __restrict__ taken out (a variant, to tell aliasing assumptions from the rest).
#define sample_gaussian_weights norestrict_sample_gaussian_weights
#define __restrict__
namespace norestrict
{
#include "sampler.cu"
}
#undef __restrict__
#undef sample_gaussian_weights
using gpusmp::smp_u64;
using gpusmp::SmpRng;

extern "C" void run_gaussians(long long seed, long long a, long long b, long long n, const double* zx, const double* zf, double* out);
extern "C" void run_sample_gaussian_weights(long long seed, int firstChip, int chips, int layers, const smp_u64* out, const smp_u64* base,
                                            const long long* size, const double* sigma, const double* zx, const double* zf);

__global__ void probe_gaussians(long long seed, long long a, long long b, long long n, const double* zx, const double* zf, double* out)
{
    SmpRng r;
    gpusmp::smp_seed(&r, gpusmp::smp_derive(seed, a, b));
    for (long long i = 0; i < n; i++)
    {
        out[i] = gpusmp::smp_gaussian(&r, zx, zf);
    }
}

// Thread t of one block draws stream (seed, t, -1): the single-thread draws above, but a warp at once.
__global__ void probe_gaussians_warp(long long seed, long long n, const double* zx, const double* zf, double* out)
{
    SmpRng r;
    gpusmp::smp_seed(&r, gpusmp::smp_derive(seed, threadIdx.x, -1));
    for (long long i = 0; i < n; i++)
    {
        out[threadIdx.x * n + i] = gpusmp::smp_gaussian(&r, zx, zf);
    }
}

// The raw xoshiro256** words and NextDouble of the same stream, to tell the generator from the ziggurat.
__global__ void probe_words(long long seed, long long a, long long b, int n, smp_u64* words, double* doubles, double* exps, double* logs)
{
    SmpRng r;
    gpusmp::smp_seed(&r, gpusmp::smp_derive(seed, a, b));
    for (int i = 0; i < n; i++)
    {
        words[i] = gpusmp::smp_next(&r);
    }

    for (int i = 0; i < n; i++)
    {
        doubles[i] = gpusmp::smp_double(&r);
        exps[i] = exp(-0.5 * doubles[i] * 3.0);
        logs[i] = -log(gpusmp::smp_open_double(&r));
    }
}

#define CHECK(x) do { cudaError_t check_rc = (x); if (check_rc != cudaSuccess) { printf("%s: %s\n", #x, cudaGetErrorString(check_rc)); exit(2); } } while (0)

template <typename T> T* up(const std::vector<T>& v)
{
    T* d; CHECK(cudaMalloc(&d, v.size() * sizeof(T))); CHECK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice)); return d;
}

int main(int argc, char** argv)
{
    std::vector<double> zx(129), zf(129);
    FILE* f = argc > 1 ? fopen(argv[1], "rb") : nullptr;
    if (f)
    {
        // The CPU's own tables (SimulationRng.ZigguratEdges, ZigguratDensities): an int count and the doubles, twice.
        int nx, nf;
        if (fread(&nx, 4, 1, f) != 1 || nx != 129 || fread(zx.data(), 8, nx, f) != (size_t)nx || fread(&nf, 4, 1, f) != 1 || nf != 129 || fread(zf.data(), 8, nf, f) != (size_t)nf) { printf("bad %s\n", argv[1]); return 2; }
        fclose(f);
    }
    else
    {
        // Marsaglia & Tsang's 128-layer tables (r, v as in the paper): device and host builds are compared on the same
        // tables, so they need not be the CPU's last bits.
        const double r = 3.442619855899, v = 9.91256303526217e-3;
        zx[1] = r; zx[0] = v / exp(-0.5 * r * r); zx[128] = 0;
        for (int i = 1; i < 127; i++) zx[i + 1] = sqrt(-2 * log(v / zx[i] + exp(-0.5 * zx[i] * zx[i])));
        for (int i = 0; i <= 128; i++) zf[i] = exp(-0.5 * zx[i] * zx[i]);
    }
    double* dzx = up(zx); double* dzf = up(zf);
    int bad = 0;
    const long long n = 200000;
    long long streams[][3] = {{1, 0, -1}, {1, 1, -1}, {7, 5, -1}, {42, 3, 9}};
    for (auto& s : streams)
    {
        std::vector<double> host(n), dev(n);
        run_gaussians(s[0], s[1], s[2], n, zx.data(), zf.data(), host.data());
        double* d; CHECK(cudaMalloc(&d, n * 8));
        probe_gaussians<<<1, 1>>>(s[0], s[1], s[2], n, dzx, dzf, d);
        CHECK(cudaGetLastError()); CHECK(cudaDeviceSynchronize());
        CHECK(cudaMemcpy(dev.data(), d, n * 8, cudaMemcpyDeviceToHost)); cudaFree(d);
        long long first = -1, count = 0;
        for (long long i = 0; i < n; i++) if (memcmp(&host[i], &dev[i], 8) != 0) { if (first < 0) first = i; count++; }
        printf("stream (%lld, %lld, %lld): %lld normals, %lld differ", s[0], s[1], s[2], n, count);
        if (first >= 0)
        {
            bad = 1;
            printf(", first at %lld\n", first);
            for (long long i = first > 3 ? first - 3 : 0; i < first + 6 && i < n; i++) printf("   draw %lld: device %.17g host %.17g\n", i, dev[i], host[i]);
        }
        printf("\n");
    }

    {
        const long long m = 5000; std::vector<double> gpu(32 * m), host(m); double* d; CHECK(cudaMalloc(&d, 32 * m * 8));
        probe_gaussians_warp<<<1, 32>>>(1, m, dzx, dzf, d);
        CHECK(cudaGetLastError()); CHECK(cudaDeviceSynchronize());
        CHECK(cudaMemcpy(gpu.data(), d, 32 * m * 8, cudaMemcpyDeviceToHost));
        long long differ = 0, firstT = -1, firstI = -1;
        for (int t = 0; t < 32; t++)
        {
            run_gaussians(1, t, -1, m, zx.data(), zf.data(), host.data());
            for (long long i = 0; i < m; i++) if (memcmp(&host[i], &gpu[t * m + i], 8) != 0) { if (firstT < 0) { firstT = t; firstI = i; } differ++; }
        }
        printf("warp of 32 streams x %lld normals: %lld differ", m, differ);
        if (firstT >= 0) { bad = 1; printf(", first thread %lld draw %lld", firstT, firstI); }
        printf("\n");
    }

    {
        const int w = 64; smp_u64* dw; double *dd, *de, *dl;
        CHECK(cudaMalloc(&dw, w * 8)); CHECK(cudaMalloc(&dd, w * 8)); CHECK(cudaMalloc(&de, w * 8)); CHECK(cudaMalloc(&dl, w * 8));
        probe_words<<<1, 1>>>(1, 0, -1, w, dw, dd, de, dl);
        CHECK(cudaGetLastError()); CHECK(cudaDeviceSynchronize());
        std::vector<smp_u64> words(w); std::vector<double> d(w), e(w), lg(w);
        CHECK(cudaMemcpy(words.data(), dw, w * 8, cudaMemcpyDeviceToHost)); CHECK(cudaMemcpy(d.data(), dd, w * 8, cudaMemcpyDeviceToHost));
        CHECK(cudaMemcpy(e.data(), de, w * 8, cudaMemcpyDeviceToHost)); CHECK(cudaMemcpy(lg.data(), dl, w * 8, cudaMemcpyDeviceToHost));
        printf("stream (1, 0, -1) words 0..3: %016llx %016llx %016llx %016llx; doubles 0..1 %.17g %.17g; exp %.17g %.17g; -log %.17g %.17g\n",
               words[0], words[1], words[2], words[3], d[0], d[1], e[0], e[1], lg[0], lg[1]);
    }

    // The kernel as DeviceSampler launches it: 70 chips (three blocks of 32), two layers, out/base as tables of addresses.
    const int chips = 70, layers = 2; std::vector<long long> size = {150, 2400}; std::vector<double> sigma = {0.031, 0.007};
    std::vector<std::vector<float>> base(layers); std::vector<smp_u64> dbase(layers), dout(layers), hbase(layers), hout(layers);
    std::vector<std::vector<float>> hostOut(layers);
    for (int l = 0; l < layers; l++)
    {
        base[l].resize(size[l]); for (long long i = 0; i < size[l]; i++) base[l][i] = (float)((i % 17) - 8) / 64.f;
        dbase[l] = (smp_u64)up(base[l]);
        float* o; CHECK(cudaMalloc(&o, chips * size[l] * 4)); CHECK(cudaMemset(o, 0xFF, chips * size[l] * 4)); dout[l] = (smp_u64)o;
        hostOut[l].assign(chips * size[l], 0.f); hbase[l] = (smp_u64)base[l].data(); hout[l] = (smp_u64)hostOut[l].data();
    }
    // Every launch below is compared with the host build, weight by weight.
    auto compare = [&](const char* label) {
        for (int l = 0; l < layers; l++)
        {
            std::vector<float> gpu(chips * size[l]);
            CHECK(cudaMemcpy(gpu.data(), (void*)dout[l], gpu.size() * 4, cudaMemcpyDeviceToHost));
            long long firstDiff = -1, count = 0;
            for (size_t i = 0; i < gpu.size(); i++) if (memcmp(&gpu[i], &hostOut[l][i], 4) != 0) { if (firstDiff < 0) firstDiff = i; count++; }
            printf("%s layer %d: %zu weights, %lld differ", label, l, gpu.size(), count);
            if (firstDiff >= 0) { bad = 1; printf(", first at chip %lld weight %lld: device %.9g host %.9g", firstDiff / size[l], firstDiff % size[l], gpu[firstDiff], hostOut[l][firstDiff]); }
            printf("\n");
        }
    };
    run_sample_gaussian_weights(3, 11, chips, layers, hout.data(), hbase.data(), size.data(), sigma.data(), zx.data(), zf.data());
    gpusmp::dev_sample_gaussian_weights<<<(chips + 31) / 32, 32>>>(3, 11, chips, layers, up(dout), up(dbase), up(size), up(sigma), dzx, dzf);
    CHECK(cudaGetLastError()); CHECK(cudaDeviceSynchronize());
    compare("sample_gaussian_weights");

    // Variants: one thread per block; the kernel without __restrict__.
    {
        smp_u64 *pout = up(dout), *pbase = up(dbase); long long* psize = up(size); double* psigma = up(sigma);
        for (int l = 0; l < layers; l++) CHECK(cudaMemset((void*)dout[l], 0xFF, chips * size[l] * 4));
        gpusmp::dev_sample_gaussian_weights<<<chips, 1>>>(3, 11, chips, layers, pout, pbase, psize, psigma, dzx, dzf);
        CHECK(cudaGetLastError()); CHECK(cudaDeviceSynchronize());
        compare("one thread per block");
        for (int l = 0; l < layers; l++) CHECK(cudaMemset((void*)dout[l], 0xFF, chips * size[l] * 4));
        norestrict::norestrict_sample_gaussian_weights<<<(chips + 31) / 32, 32>>>(3, 11, chips, layers, pout, pbase, psize, psigma, dzx, dzf);
        CHECK(cudaGetLastError()); CHECK(cudaDeviceSynchronize());
        compare("no __restrict__, 32 per block");
        for (int l = 0; l < layers; l++) CHECK(cudaMemset((void*)dout[l], 0xFF, chips * size[l] * 4));
        gpusmp::dev_sample_gaussian_weights<<<(chips + 31) / 32, 32>>>(3, 11, chips, layers, pout, pbase, psize, psigma, dzx, dzf);
        CHECK(cudaGetLastError()); CHECK(cudaDeviceSynchronize());
        compare("again, 32 per block");
    }

    // The same kernel compiled as KernelModule compiles it: NVRTC on the kernel files concatenated in its order, its options.
    {
        std::string src;
        for (const char* file : {"montecarlo.cu", "graph.cu", "worstcase.cu", "searchstate.cu", "converters.cu", "sampler.cu"})
        {
            std::ifstream in(file); std::stringstream ss; ss << in.rdbuf(); src += ss.str() + "\n";
        }

        int major = 0, minor = 0; CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, 0)); CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, 0));
        std::string arch = "--gpu-architecture=compute_" + std::to_string(major) + std::to_string(minor);
        const char* opts[] = {arch.c_str(), "--std=c++17"};
        nvrtcProgram prog; nvrtcCreateProgram(&prog, src.c_str(), "kernels.cu", 0, nullptr, nullptr);
        nvrtcResult rc = nvrtcCompileProgram(prog, 2, opts);
        size_t logSize; nvrtcGetProgramLogSize(prog, &logSize); std::string log(logSize, '\0'); nvrtcGetProgramLog(prog, &log[0]);
        if (rc != NVRTC_SUCCESS) { printf("nvrtc: %s\n%s\n", nvrtcGetErrorString(rc), log.c_str()); return 2; }
        size_t ptxSize; nvrtcGetPTXSize(prog, &ptxSize); std::string ptx(ptxSize, '\0'); nvrtcGetPTX(prog, &ptx[0]);
        CUmodule mod; CUfunction fn;
        if (cuModuleLoadData(&mod, ptx.c_str()) != CUDA_SUCCESS || cuModuleGetFunction(&fn, mod, "sample_gaussian_weights") != CUDA_SUCCESS) { printf("module load failed\n"); return 2; }
        for (int l = 0; l < layers; l++) CHECK(cudaMemset((void*)dout[l], 0xFF, chips * size[l] * 4));
        long long seed = 3; int first = 11, nchips = chips, nlayers = layers;
        CUdeviceptr pout = (CUdeviceptr)up(dout), pbase = (CUdeviceptr)up(dbase), psize = (CUdeviceptr)up(size), psigma = (CUdeviceptr)up(sigma), pzx = (CUdeviceptr)dzx, pzf = (CUdeviceptr)dzf;
        void* args[] = {&seed, &first, &nchips, &nlayers, &pout, &pbase, &psize, &psigma, &pzx, &pzf};
        CUresult lr = cuLaunchKernel(fn, (chips + 31) / 32, 1, 1, 32, 1, 1, 0, 0, args, nullptr);
        if (lr != CUDA_SUCCESS) { printf("cuLaunchKernel: %d\n", (int)lr); return 2; }
        CHECK(cudaDeviceSynchronize());
        compare("NVRTC sample_gaussian_weights");
    }

    printf(bad ? "PROBE: DIFFERENT\n" : "PROBE: device == host build, bit for bit\n");
    return bad;
}
