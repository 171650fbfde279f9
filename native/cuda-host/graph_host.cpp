// Host build of the graph forward's kernels (src/CimHil.Simulation.Cuda/Kernels/graph.cu) for CI, which has no GPU, on the
// built-ins of cuda_host.h; run_* loops blockIdx.y over the chips as the GPU's grid does. GraphKernelHostTests compares the
// results bit for bit with the CPU engine's modules. Built by the tests with g++ (tests/Shared/NativeStandIn.cs).
#include "cuda_host.h"
#include "graph.cu"

extern "C" void run_graph_map(int chips, const float* x, float* y, int C, int n, int P, int code, int aBits, int bBits, const float* constant)
{
    for (int g = 0; g < chips; g++)
    {
        blockIdx = {0, (unsigned)g, 0};
        graph_map(x, y, C, n, P, code, aBits, bBits, constant);
    }
}

extern "C" void run_graph_add(int chips, const float* a, const float* b, float* y, long long total, int relu, int op)
{
    for (int g = 0; g < chips; g++)
    {
        blockIdx = {0, (unsigned)g, 0};
        graph_add(a, b, y, total, relu, op);
    }
}

extern "C" void run_graph_scatter(int chips, const float* x, float* y, int Ci, int Pi, int Co, int Po, int n, const int* dest)
{
    for (int g = 0; g < chips; g++)
    {
        blockIdx = {0, (unsigned)g, 0};
        graph_scatter(x, y, Ci, Pi, Co, Po, n, dest);
    }
}

extern "C" void run_graph_gather(int chips, const float* x, float* y, int Ci, int Pi, int Co, int Po, int n, const int* sources)
{
    for (int g = 0; g < chips; g++)
    {
        blockIdx = {0, (unsigned)g, 0};
        graph_gather(x, y, Ci, Pi, Co, Po, n, sources);
    }
}
