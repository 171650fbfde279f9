// Kernels of the tiled crossbar forward with DAC/ADC converters (docs/gpu.md, "Converters (DAC/ADC)"): the GPU twin of
// Mapping/CrossbarForward.cs. Layouts as montecarlo.cu: blockIdx.y is the chip ("group"); a layer's partial sums are
// [g][O][M] (M = images·positions for a convolution, images for a linear layer).

// Converter.Quantize of one value, operation for operation: code = clamp(round_half_away(x·(1/step)), ±maxCode) in double
// (Math.Round(…, AwayFromZero) is C's round; Math.Clamp passes NaN through, as the two comparisons here), y = (float)(code·step).
// A step that is not positive (a zero range) gives 0, as Quantize's values.Clear(). __dmul_rn keeps NVRTC from contracting.
__device__ __forceinline__ float cim_quantize(float v, double step, double inv, int maxCode)
{
    if (!(step > 0.0))
    {
        return 0.0f;
    }
    double code = round(__dmul_rn((double)v, inv));
    if (code < (double)-maxCode)
    {
        code = (double)-maxCode;
    }
    else if (code > (double)maxCode)
    {
        code = (double)maxCode;
    }
    return (float)__dmul_rn(code, step);
}

// DAC: x[g·groupStride + i] quantised in place for i < count, one range for the span (one row tile of the unfolded input:
// rows k0 … k0 + kt − 1 of [K][M] columns, or of a linear layer's feature-major [in][n] input, are contiguous).
extern "C" __global__ void dac_quantize(float* __restrict__ x, long long count, long long groupStride, double step, double inv, int maxCode)
{
    float* xg = x + blockIdx.y * groupStride;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < count; idx += (long long)gridDim.x * blockDim.x)
    {
        xg[idx] = cim_quantize(xg[idx], step, inv, maxCode);
    }
}

// ADC and the digital sum of one (row tile, slice) partial product part[g][O][M]: output channel o is in column tile
// o / tileColumns, whose (step, 1/step) pair is adc[2·ct], adc[2·ct + 1] (maxCode 0: no ADC, the partial sum as it is). Then
// y = (first ? 0 : y) + q, one float add as CrossbarForward's TensorPrimitives.Add into a zeroed sum (so −0 becomes +0 there
// too), and on the layer's last partial product y·factor[g], the chip's (float) output factor (1 leaves y unchanged).
extern "C" __global__ void adc_accumulate(const float* __restrict__ part, float* __restrict__ y, int O, int M, int tileColumns,
                                          const double* __restrict__ adc, int maxCode, int first, const float* __restrict__ factor)
{
    const long long total = (long long)O * M;
    const float* pg = part + blockIdx.y * total;
    float* yg = y + blockIdx.y * total;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        float v = pg[idx];
        if (maxCode > 0)
        {
            const int ct = (int)(idx / M) / tileColumns;
            v = cim_quantize(v, adc[2 * ct], adc[2 * ct + 1], maxCode);
        }
        float acc = __fadd_rn(first ? 0.0f : yg[idx], v);
        if (factor != 0)
        {
            acc = __fmul_rn(acc, factor[blockIdx.y]);
        }
        yg[idx] = acc;
    }
}
