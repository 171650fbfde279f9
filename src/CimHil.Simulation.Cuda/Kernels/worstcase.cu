// Backward kernels of the worst-case search's gradient pass on the GPU (docs/gpu.md, "The worst-case search on the GPU"),
// compiled with montecarlo.cu into one module. One image chunk of one chip: activations [C][n][H][W] (CNHW), the linear
// layers' [features][n]; every kernel is a grid-stride loop over its output (blockIdx.y is 0: one chip).

// ReLU backward through the stored output a = relu(z): d = 0 where a = 0 (z ≤ 0), as the engine's ReLU (∂ = 1 iff z > 0).
extern "C" __global__ void relu_backward(float* __restrict__ d, const float* __restrict__ a, long long total)
{
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        if (!(a[idx] > 0.0f))
        {
            d[idx] = 0.0f;
        }
    }
}

// Max pooling k×k / stride s of [C][n][H][W] into [C][n][OH][OW], recording the input index of each maximum (the first one
// in row-major window order wins a tie) for the backward.
extern "C" __global__ void pool_argmax(const float* __restrict__ x, float* __restrict__ y, int* __restrict__ arg,
                                       int C, int n, int H, int W, int k, int stride, int OH, int OW)
{
    const long long total = (long long)C * n * OH * OW;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const int ox = (int)(idx % OW);
        const long long t = idx / OW;
        const int oy = (int)(t % OH);
        const long long plane = t / OH;
        const long long first = plane * H * W + (long long)(oy * stride) * W + ox * stride;
        long long where = first;
        float best = x[first];
        for (int ki = 0; ki < k; ki++)
        {
            for (int kj = 0; kj < k; kj++)
            {
                const long long at = first + (long long)ki * W + kj;
                if (x[at] > best)
                {
                    best = x[at];
                    where = at;
                }
            }
        }
        y[idx] = best;
        arg[idx] = (int)where;
    }
}

// Max-pool backward: dx (zeroed first) gets each output's gradient at the input its maximum came from; atomic so that
// overlapping windows (stride < k) also add up.
extern "C" __global__ void pool_backward(const float* __restrict__ dy, const int* __restrict__ arg, float* __restrict__ dx, long long total)
{
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        atomicAdd(dx + arg[idx], dy[idx]);
    }
}

// col2im, the adjoint of im2col: dx[c][img][iy][ix] = Σ over (ki, kj) with iy = oy·s − pad + ki, ix = ox·s − pad + kj inside
// the output of dcols[(c·k + ki)·k + kj][(img·OH + oy)·OW + ox]. One thread gathers one input element: no atomics.
extern "C" __global__ void col2im(const float* __restrict__ dcols, float* __restrict__ dx, int C, int n, int H, int W,
                                  int k, int stride, int pad, int OH, int OW)
{
    const long long total = (long long)C * n * H * W;
    const long long M = (long long)n * OH * OW;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const int ix = (int)(idx % W);
        long long t = idx / W;
        const int iy = (int)(t % H);
        t /= H;
        const int img = (int)(t % n);
        const int c = (int)(t / n);
        float sum = 0.0f;
        for (int ki = 0; ki < k; ki++)
        {
            const int ny = iy + pad - ki;
            if (ny < 0 || ny % stride != 0 || ny / stride >= OH)
            {
                continue;
            }
            const int oy = ny / stride;
            for (int kj = 0; kj < k; kj++)
            {
                const int nx = ix + pad - kj;
                if (nx < 0 || nx % stride != 0 || nx / stride >= OW)
                {
                    continue;
                }
                const int ox = nx / stride;
                sum += dcols[(long long)((c * k + ki) * k + kj) * M + ((long long)img * OH + oy) * OW + ox];
            }
        }
        dx[idx] = sum;
    }
}

// The inverse of flatten: feature-major [C·P][n] → [C][n][P].
extern "C" __global__ void unflatten(const float* __restrict__ x, float* __restrict__ y, int C, int n, int P)
{
    const long long total = (long long)C * n * P;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const int p = (int)(idx % P);
        const long long t = idx / P;
        const int i = (int)(t % n);
        const int c = (int)(t / n);
        y[idx] = x[((long long)c * P + p) * n + i];
    }
}
