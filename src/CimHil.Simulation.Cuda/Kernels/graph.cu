// Kernels of the graph forward (Graph/GraphForward.cs, docs/gpu.md "Imported graphs"): compiled with montecarlo.cu into one
// module. Layout as there: per chip (blockIdx.y) the activations are CNHW channel planes [C][n][H][W], a flat value [F][n].
// The float steps repeat the CPU engine's (Ops.BatchNorm2d, Ops.AvgPool2d, Ops.GlobalAveragePool) one rounding at a time:
// the _rn intrinsics keep NVRTC from contracting a multiply and an add into one FMA, which the CPU does not do there.

#define GRID_STRIDE(idx, total) for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < (total); idx += (long long)gridDim.x * blockDim.x)

// General unfolding (per-axis stride, dilation, asymmetric padding): cols[(c·KH + ki)·KW + kj][img·OH·OW + oy·OW + ox],
// zero outside the input; rows in the order of the weight [O][C/groups][KH][KW], so each group's rows are contiguous.
extern "C" __global__ void graph_im2col(const float* __restrict__ x, long long groupStride, long long channelStride,
                                        float* __restrict__ cols, long long colsStride, int C, int n, int H, int W, int KH, int KW,
                                        int SH, int SW, int PT, int PL, int DH, int DW, int OH, int OW)
{
    const long long M = (long long)n * OH * OW;
    const long long total = (long long)C * KH * KW * M;
    const float* xg = x + blockIdx.y * groupStride;
    float* out = cols + blockIdx.y * colsStride;
    GRID_STRIDE(idx, total)
    {
        const long long row = idx / M;
        const long long col = idx - row * M;
        const int kj = (int)(row % KW);
        const long long t = row / KW;
        const int ki = (int)(t % KH);
        const int c = (int)(t / KH);
        const int ox = (int)(col % OW);
        const long long t2 = col / OW;
        const int oy = (int)(t2 % OH);
        const long long img = t2 / OH;
        const int iy = oy * SH - PT + ki * DH;
        const int ix = ox * SW - PL + kj * DW;
        out[idx] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? xg[c * channelStride + (img * H + iy) * W + ix] : 0.f;
    }
}

// y = relu?(affine(x + bias)) per channel of [C][M]: bias as Ops.Conv2d adds it, then inference BatchNorm as Ops.BatchNorm2d
// computes it, ((x − mean)·invStd)·γ + β, each step rounded (affine = [mean | invStd | γ | β], 4·C floats).
// x and y may be the same buffer (in place), so neither is __restrict__.
extern "C" __global__ void graph_epilogue(const float* x, float* y, int C, long long M,
                                          const float* __restrict__ bias, const float* __restrict__ affine, int relu)
{
    const long long total = (long long)C * M;
    const float* xg = x + blockIdx.y * total;
    float* yg = y + blockIdx.y * total;
    GRID_STRIDE(idx, total)
    {
        const int c = (int)(idx / M);
        float v = xg[idx];
        if (bias != nullptr)
        {
            v = __fadd_rn(v, bias[c]);
        }
        if (affine != nullptr)
        {
            v = __fmul_rn(__fsub_rn(v, affine[c]), affine[C + c]);
            v = __fadd_rn(__fmul_rn(v, affine[2 * C + c]), affine[3 * C + c]);
        }
        if (relu != 0)
        {
            v = fmaxf(v, 0.f);
        }
        yg[idx] = v;
    }
}

// y = relu?(a + b), elementwise over [total] per chip (the residual add); y may be a or b.
extern "C" __global__ void graph_add(const float* a, const float* b, float* y, long long total, int relu)
{
    const long long off = blockIdx.y * total;
    GRID_STRIDE(idx, total)
    {
        float v = __fadd_rn(a[off + idx], b[off + idx]);
        y[off + idx] = relu != 0 ? fmaxf(v, 0.f) : v;
    }
}

// Average over k×k windows (no padding), summed in row order then scaled by 1/(k·k) as Ops.AvgPool2d (invBits: that float's bits).
extern "C" __global__ void graph_avg_pool(const float* __restrict__ x, float* __restrict__ y, int planes, int H, int W, int k,
                                          int stride, int OH, int OW, int invBits)
{
    const long long total = (long long)planes * OH * OW;
    const float* xg = x + blockIdx.y * (long long)planes * H * W;
    float* yg = y + blockIdx.y * total;
    const float inv = __int_as_float(invBits);
    GRID_STRIDE(idx, total)
    {
        const int j = (int)(idx % OW);
        const long long t = idx / OW;
        const int i = (int)(t % OH);
        const long long plane = t / OH;
        const float* base = xg + plane * H * W + (long long)(i * stride) * W + j * stride;
        float s = 0.f;
        for (int di = 0; di < k; di++)
        {
            for (int dj = 0; dj < k; dj++)
            {
                s = __fadd_rn(s, base[di * W + dj]);
            }
        }
        yg[idx] = __fmul_rn(s, inv);
    }
}

// Mean over each plane of P values, [C][n][P] → [C][n], in double as Ops.GlobalAveragePool.
extern "C" __global__ void graph_global_avg_pool(const float* __restrict__ x, float* __restrict__ y, long long planes, int P)
{
    const float* xg = x + blockIdx.y * planes * P;
    float* yg = y + blockIdx.y * planes;
    GRID_STRIDE(idx, planes)
    {
        double s = 0;
        for (int j = 0; j < P; j++)
        {
            s += (double)xg[idx * P + j];
        }
        yg[idx] = (float)(s / P);
    }
}

// Copies [count] floats per chip from x (chip stride xStride) to y + yOffset (chip stride yStride): channel concatenation.
extern "C" __global__ void graph_copy(const float* __restrict__ x, long long xStride, float* __restrict__ y, long long yStride,
                                      long long yOffset, long long count)
{
    const float* xg = x + blockIdx.y * xStride;
    float* yg = y + blockIdx.y * yStride + yOffset;
    GRID_STRIDE(idx, count)
    {
        yg[idx] = xg[idx];
    }
}
