// Kernels of the CUDA Monte-Carlo backend (docs/gpu.md), compiled at run time by NVRTC for the device's architecture.
// Activations are channel planes of a chunk of images per chip ("group"): [g][C][n][H][W] (CNHW, as InferencePlan on the CPU),
// so a convolution is one GEMM Y[O, n·p] = W[O, C·k·k]·cols per chip (Chellapilla et al. 2006), batched over chips by cuBLAS.
// blockIdx.y is the group everywhere; groupStride 0 lets every chip read the same input (the test images).

// cols[g][(c·k + ki)·k + kj][(img·OH + oy)·OW + ox] = x[g][c][img][oy·s − pad + ki][ox·s − pad + kj], 0 outside the image.
// channelStride is the distance between channel planes of the input (n·H·W inside a chip; N_total·H·W for the test set).
extern "C" __global__ void im2col(const float* __restrict__ x, long long groupStride, long long channelStride,
                                  float* __restrict__ cols, int C, int n, int H, int W, int k, int stride, int pad, int OH, int OW)
{
    const int M = n * OH * OW;
    const long long total = (long long)C * k * k * M;
    const float* xg = x + blockIdx.y * groupStride;
    float* out = cols + blockIdx.y * total;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const int m = (int)(idx % M);
        const int r = (int)(idx / M);
        const int ox = m % OW;
        const int t = m / OW;
        const int oy = t % OH;
        const int img = t / OH;
        const int kj = r % k;
        const int ki = (r / k) % k;
        const int c = r / (k * k);
        const int iy = oy * stride - pad + ki;
        const int ix = ox * stride - pad + kj;
        float v = 0.0f;
        if (iy >= 0 && iy < H && ix >= 0 && ix < W)
        {
            v = xg[c * channelStride + ((long long)img * H + iy) * W + ix];
        }
        out[idx] = v;
    }
}

// y[g][o][m] = relu?(y[g][o][m] + bias[o]) in place; bias may be null (then only the ReLU, with O = 1).
extern "C" __global__ void bias_relu(float* __restrict__ y, const float* __restrict__ bias, int O, int M, int relu)
{
    const long long total = (long long)O * M;
    float* yg = y + blockIdx.y * total;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        float v = yg[idx];
        if (bias != 0)
        {
            v += bias[(int)(idx / M)];
        }
        if (relu)
        {
            v = fmaxf(v, 0.0f);
        }
        yg[idx] = v;
    }
}

// Max pooling k×k / stride s of [g][C][n][H][W] into [g][C][n][OH][OW], then bias[c] and ReLU (either optional).
// Pooling before the bias and ReLU gives the same floats as after them: x ↦ relu(x + b) is monotone, rounding included.
extern "C" __global__ void pool_bias_relu(const float* __restrict__ x, float* __restrict__ y, const float* __restrict__ bias,
                                          int C, int n, int H, int W, int k, int stride, int OH, int OW, int relu)
{
    const long long total = (long long)C * n * OH * OW;
    const float* xg = x + blockIdx.y * (long long)C * n * H * W;
    float* yg = y + blockIdx.y * total;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const int ox = (int)(idx % OW);
        const long long t = idx / OW;
        const int oy = (int)(t % OH);
        const long long plane = t / OH;
        const float* p = xg + plane * H * W + (long long)(oy * stride) * W + ox * stride;
        float best = p[0];
        for (int ki = 0; ki < k; ki++)
        {
            for (int kj = 0; kj < k; kj++)
            {
                best = fmaxf(best, p[ki * W + kj]);
            }
        }
        if (bias != 0)
        {
            best += bias[(int)(plane / n)];
        }
        if (relu)
        {
            best = fmaxf(best, 0.0f);
        }
        yg[idx] = best;
    }
}

// [g][C][n][P] → feature-major [g][C·P][n] (the engine's flatten order (c, y, x), one column per image).
extern "C" __global__ void flatten(const float* __restrict__ x, float* __restrict__ y, int C, int n, int P)
{
    const long long total = (long long)C * n * P;
    const float* xg = x + blockIdx.y * total;
    float* yg = y + blockIdx.y * total;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const int i = (int)(idx % n);
        const long long f = idx / n;
        const int p = (int)(f % P);
        const int c = (int)(f / P);
        yg[idx] = xg[((long long)c * n + i) * P + p];
    }
}

// Copies a chunk of the resident test set ([C][N_total][H·W] at image offset start) to every group as [C][n][H·W].
extern "C" __global__ void broadcast_input(const float* __restrict__ x, long long channelStride, float* __restrict__ y, int C, int n, int P)
{
    const long long total = (long long)C * n * P;
    float* yg = y + blockIdx.y * total;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const long long c = idx / ((long long)n * P);
        yg[idx] = x[c * channelStride + idx % ((long long)n * P)];
    }
}

// Top-1 of logits [g][classes][n] (the first maximum wins, as on the CPU) against labels[n]; correct[g] += hits.
extern "C" __global__ void count_correct(const float* __restrict__ logits, const int* __restrict__ labels, int classes, int n, int* __restrict__ correct)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    int hit = 0;
    if (i < n)
    {
        const float* z = logits + (long long)blockIdx.y * classes * n + i;
        int best = 0;
        float top = z[0];
        for (int j = 1; j < classes; j++)
        {
            const float v = z[(long long)j * n];
            if (v > top)
            {
                top = v;
                best = j;
            }
        }
        hit = best == labels[i] ? 1 : 0;
    }
    const int hits = __syncthreads_count(hit);
    if (threadIdx.x == 0 && hits > 0)
    {
        atomicAdd(correct + blockIdx.y, hits);
    }
}

// Direct stride-1 convolution fused with bias, ReLU and a following P×P / stride-P max-pool (P = 1: no pool), for K×K kernels:
// one thread per pooled position (img, py, px) and OB output channels o0 … o0 + OB − 1 (o0 = blockIdx.z·OB), so the unfolded
// input (K² times the activation) is never written. Per input channel the thread holds the (K+P−1)² input window in registers
// and reuses it for its OB channels and P² pool positions, and each weight it loads feeds P² FMAs: the profile of issue #21
// (docs/gpu.md) showed the one-channel-per-thread kernel issuing about one load per FMA. Every sum still runs over (c, ki, kj)
// in order as FMAs from 0, so the floats are those of the one-channel kernel.
// x: [g][C][n][H][W] at groupStride / channelStride (groupStride 0: every chip reads the resident test images);
// w: [g][O][C][K][K]; y: [g][O][n][PH][PW].
template <int K, int P, int OB>
__device__ void conv_pool(const float* __restrict__ x, long long groupStride, long long channelStride, const float* __restrict__ w,
                          const float* __restrict__ bias, float* __restrict__ y, int C, int n, int H, int W, int pad, int O, int PH, int PW, int relu)
{
    constexpr int S = K + P - 1;
    const long long positions = (long long)n * PH * PW;
    const long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x;
    if (idx >= positions)
    {
        return;
    }
    const int px = (int)(idx % PW);
    const long long t = idx / PW;
    const int py = (int)(t % PH);
    const int img = (int)(t / PH);
    const int o0 = blockIdx.z * OB;
    const float* xg = x + blockIdx.y * groupStride + (long long)img * H * W;
    const float* wg = w + ((long long)blockIdx.y * O + o0) * C * K * K;
    float acc[OB][P * P];
#pragma unroll
    for (int ob = 0; ob < OB; ob++)
    {
#pragma unroll
        for (int i = 0; i < P * P; i++)
        {
            acc[ob][i] = 0.0f;
        }
    }
    const int y0 = py * P - pad;
    const int x0 = px * P - pad;
    for (int c = 0; c < C; c++)
    {
        const float* xc = xg + c * channelStride;
        float v[S][S];
#pragma unroll
        for (int r = 0; r < S; r++)
        {
            const int iy = y0 + r;
#pragma unroll
            for (int j = 0; j < S; j++)
            {
                const int ix = x0 + j;
                v[r][j] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? __ldg(xc + iy * W + ix) : 0.0f;
            }
        }
#pragma unroll
        for (int ob = 0; ob < OB; ob++)
        {
            const float* wc = wg + ((long long)ob * C + c) * K * K;
#pragma unroll
            for (int ki = 0; ki < K; ki++)
            {
#pragma unroll
                for (int kj = 0; kj < K; kj++)
                {
                    const float wk = __ldg(wc + ki * K + kj);
#pragma unroll
                    for (int dy = 0; dy < P; dy++)
                    {
#pragma unroll
                        for (int dx = 0; dx < P; dx++)
                        {
                            acc[ob][dy * P + dx] = fmaf(wk, v[ki + dy][kj + dx], acc[ob][dy * P + dx]);
                        }
                    }
                }
            }
        }
    }
    float* yg = y + (long long)blockIdx.y * O * positions;
#pragma unroll
    for (int ob = 0; ob < OB; ob++)
    {
        float best = acc[ob][0];
#pragma unroll
        for (int i = 1; i < P * P; i++)
        {
            best = fmaxf(best, acc[ob][i]);
        }
        if (bias != 0)
        {
            best += bias[o0 + ob];
        }
        if (relu)
        {
            best = fmaxf(best, 0.0f);
        }
        yg[(long long)(o0 + ob) * positions + idx] = best;
    }
}

// conv_kK_pP_oOB; the launch picks the largest OB of 8, 6, 4, 2, 1 that divides O (BatchedForward.ChannelsPerThread).
#define CONV_POOL(K, P, OB) \
    extern "C" __global__ void conv_k##K##_p##P##_o##OB(const float* __restrict__ x, long long groupStride, long long channelStride, const float* __restrict__ w, \
                                    const float* __restrict__ bias, float* __restrict__ y, int C, int n, int H, int W, int pad, int O, int PH, int PW, int relu) \
    { \
        conv_pool<K, P, OB>(x, groupStride, channelStride, w, bias, y, C, n, H, W, pad, O, PH, PW, relu); \
    }
#define CONV_POOL_OB(K, P) CONV_POOL(K, P, 1) CONV_POOL(K, P, 2) CONV_POOL(K, P, 4) CONV_POOL(K, P, 6) CONV_POOL(K, P, 8)

CONV_POOL_OB(5, 2)
CONV_POOL_OB(5, 1)
CONV_POOL_OB(3, 2)
CONV_POOL_OB(3, 1)
