// Host build of the converter kernels (src/CimHil.Simulation.Cuda/Kernels/converters.cu) for CI, which has no GPU, on the
// built-ins of cuda_host.h; run_* loops blockIdx.y over the chips as the GPU's grid does. ConverterKernelHostTests compares
// them bit for bit with Converter.Quantize and CrossbarForward's sum; TiledForwardHostTests runs the tiled forward on them.
#include "cuda_host.h"

#include "converters.cu"

extern "C" void run_dac_quantize(int groups, float* x, long long count, long long groupStride, double step, double inv, int maxCode)
{
    for (int g = 0; g < groups; g++)
    {
        blockIdx = {0, (unsigned)g, 0};
        dac_quantize(x, count, groupStride, step, inv, maxCode);
    }
}

extern "C" void run_adc_accumulate(int groups, const float* part, float* y, int O, int M, int tileColumns, const double* adc, int maxCode, int first, const float* factor)
{
    for (int g = 0; g < groups; g++)
    {
        blockIdx = {0, (unsigned)g, 0};
        adc_accumulate(part, y, O, M, tileColumns, adc, maxCode, first, factor);
    }
}
