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

// y = relu?(a ∘ b), elementwise over [total] per chip (the residual add; ∘: 0 add, 1 subtract, 2 multiply as ONNX Add/Sub/Mul
// of two tensors, TensorPrimitives on the CPU); y may be a or b.
extern "C" __global__ void graph_add(const float* a, const float* b, float* y, long long total, int relu, int op)
{
    const long long off = blockIdx.y * total;
    GRID_STRIDE(idx, total)
    {
        const float u = a[off + idx], w = b[off + idx];
        float v = op == 0 ? __fadd_rn(u, w) : op == 1 ? __fsub_rn(u, w) : __fmul_rn(u, w);
        y[off + idx] = relu != 0 ? fmaxf(v, 0.f) : v;
    }
}

// .NET's Math.Max / Math.Min (float): IEEE 754-2019 maximum/minimum, NaN propagates and +0 > −0 (the CPU's Activation.Clip).
__device__ __forceinline__ float net_max(float a, float b)
{
    if (a != b)
    {
        return isnan(a) ? a : (b < a ? a : b);
    }
    return signbit(b) ? a : b;
}

__device__ __forceinline__ float net_min(float a, float b)
{
    if (a != b)
    {
        return isnan(a) ? a : (a < b ? a : b);
    }
    return signbit(a) ? a : b;
}

// y = f(x) elementwise over [C][n][P] per chip (MapFunction codes; Activation and Ops.ApplyConstant on the CPU). The constant
// holds one float per element of one image (row-major [C][P]), broadcast at plan time. Sigmoid and tanh: the CPU calls glibc's
// expf/tanhf (MathF); here exp and tanh run in double and are rounded once to float, which is the correctly rounded result
// but for about one input in 2^29, as glibc's are for nearly all inputs (docs/gpu.md, "Imported graphs"). Sigmoid keeps the
// CPU's three roundings: e = exp(−x), 1 + e, 1 / that. x and y may be the same buffer.
extern "C" __global__ void graph_map(const float* x, float* y, int C, int n, int P, int code, int aBits, int bBits,
                                     const float* __restrict__ constant)
{
    const long long total = (long long)C * n * P;
    const float* xg = x + blockIdx.y * total;
    float* yg = y + blockIdx.y * total;
    const float a = __int_as_float(aBits), b = __int_as_float(bBits);
    GRID_STRIDE(idx, total)
    {
        const float v = xg[idx];
        float c = 0.f;
        if (constant != nullptr)
        {
            const long long plane = (long long)n * P;
            c = constant[(idx / plane) * P + idx % P];
        }
        float r;
        switch (code)
        {
            case 0: r = v >= 0.f ? v : __fmul_rn(a, v); break;
            case 1: r = net_min(net_max(v, a), b); break;
            case 2: r = __fdiv_rn(1.f, __fadd_rn(1.f, (float)exp((double)(-v)))); break;
            case 3: r = (float)tanh((double)v); break;
            case 4: r = __fadd_rn(v, c); break;
            case 5: r = __fsub_rn(v, c); break;
            case 6: r = __fsub_rn(c, v); break;
            case 7: r = __fmul_rn(v, c); break;
            case 8: r = __fdiv_rn(v, c); break;
            default: r = __fdiv_rn(c, v); break;
        }
        yg[idx] = r;
    }
}

// y[c][img][p] = x at the per-image source index of output element c·Po + p (row-major over the input image, −1: zero), for
// [Co][n][Po] from [Ci][n][Pi] per chip: Transpose, Reshape and Pad, whose maps GraphLowering reads off the CPU's modules.
extern "C" __global__ void graph_gather(const float* __restrict__ x, float* __restrict__ y, int Ci, int Pi, int Co, int Po, int n,
                                        const int* __restrict__ sources)
{
    const long long total = (long long)Co * n * Po;
    const float* xg = x + blockIdx.y * (long long)Ci * n * Pi;
    float* yg = y + blockIdx.y * total;
    const long long plane = (long long)n * Po;
    GRID_STRIDE(idx, total)
    {
        const long long c = idx / plane;
        const long long r = idx - c * plane;
        const long long img = r / Po;
        const int s = sources[c * Po + (r - img * Po)];
        yg[idx] = s < 0 ? 0.f : xg[((long long)(s / Pi) * n + img) * Pi + s % Pi];
    }
}

// The inverse of graph_gather for one input of a Concat on a non-channel axis: element (c, img, p) of x ([Ci][n][Pi] per chip)
// goes to per-image output index dest[c·Pi + p] of y ([Co][n][Po] per chip). The inputs' tables cover the output once.
extern "C" __global__ void graph_scatter(const float* __restrict__ x, float* __restrict__ y, int Ci, int Pi, int Co, int Po, int n,
                                         const int* __restrict__ dest)
{
    const long long total = (long long)Ci * n * Pi;
    const float* xg = x + blockIdx.y * total;
    float* yg = y + blockIdx.y * (long long)Co * n * Po;
    const long long plane = (long long)n * Pi;
    GRID_STRIDE(idx, total)
    {
        const long long c = idx / plane;
        const long long r = idx - c * plane;
        const long long img = r / Pi;
        const int d = dest[c * Pi + (r - img * Pi)];
        yg[((long long)(d / Po) * n + img) * Po + d % Po] = xg[idx];
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
