// The worst-case search's state resident on the GPU (docs/gpu.md, "The worst-case search on the GPU"; C# side:
// CudaSearchState.cs, loop: WorstCase/ResidentDescent.cs). Δ, targets, the box and Adam's moments are doubles in the
// FlatDeviceLayout order (per layer, per slice: G+'s devices then G-'s, [OutputCount·FanIn] each). Every double operation
// is an explicit _rn intrinsic so NVRTC cannot contract it into an FMA: the device repeats the CPU loop's IEEE arithmetic
// (HostDescent.cs, MappedLayer.Decode, WorstCaseLoss) operation by operation.

#define WC_POS_INF __longlong_as_double(0x7ff0000000000000LL)
#define WC_NEG_INF_F __int_as_float(0xff800000)

// W = (float) Σ_s c_s·((t+_s + Δ+_s) − (t−_s + Δ−_s)), summed from 0.0 in slice order, as MappedLayer.Decode after
// ConductancePerturbation.ApplyTo. One thread per weight of one layer.
extern "C" __global__ void wc_decode(const double* __restrict__ targets, const double* __restrict__ delta, const double* __restrict__ coeff,
                                     float* __restrict__ w, int n, int S)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        double acc = 0.0;
        for (int s = 0; s < S; s++)
        {
            const long long p = 2LL * s * n + i;
            const long long m = p + n;
            const double gp = __dadd_rn(targets[p], delta[p]);
            const double gm = __dadd_rn(targets[m], delta[m]);
            acc = __dadd_rn(acc, __dmul_rn(coeff[(long long)s * n + i], __dsub_rn(gp, gm)));
        }
        w[i] = __double2float_rn(acc);
    }
}

__device__ __forceinline__ bool wc_negative(float v) { return (__float_as_int(v) & 0x80000000) != 0; }

// Scores one chunk of logits [classes][n] as the CPU does (CudaWorstCasePasses' host scoring, WorstCaseLoss): the hit of the
// first maximum (TensorPrimitives.IndexOfMax: the first NaN wins, +0 beats −0), the float margin of WorstCaseLoss.Margins, the
// term clamp(m, −κ, U) of WorstCaseLoss.Evaluate (m in double, its own runner-up rule) and the seed (+1 true class, −1
// runner-up inside (−κ, U), else 0) written over the whole seed buffer. One thread per image.
extern "C" __global__ void wc_score(const float* __restrict__ logits, const int* __restrict__ labels, int n, int classes, double kappa,
                                    const double* __restrict__ scalars, float* __restrict__ margins, double* __restrict__ terms,
                                    int* __restrict__ hits, float* __restrict__ seed)
{
    const double upper = scalars[1];
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    {
        const int y = labels[i];
        int arg = 0;
        float best = logits[i];
        if (best == best)
        {
            for (int j = 1; j < classes; j++)
            {
                const float v = logits[(long long)j * n + i];
                if (v != v)
                {
                    arg = j;
                    break;
                }
                if (v > best || (v == best && wc_negative(best) && !wc_negative(v)))
                {
                    best = v;
                    arg = j;
                }
            }
        }
        hits[i] = arg == y ? 1 : 0;

        const float zy = logits[(long long)y * n + i];
        float other = WC_NEG_INF_F;
        int runner = -1;
        float runnerValue = WC_NEG_INF_F;
        for (int j = 0; j < classes; j++)
        {
            if (j == y)
            {
                continue;
            }
            const float v = logits[(long long)j * n + i];
            if (v > other)
            {
                other = v;
            }
            if (runner < 0 || v > runnerValue)
            {
                runnerValue = v;
                runner = j;
            }
        }
        margins[i] = __fsub_rn(zy, other);
        const double m = __dsub_rn((double)zy, (double)runnerValue);
        terms[i] = m < -kappa ? -kappa : (m > upper ? upper : m);
        const bool inside = m > -kappa && m < upper;
        for (int j = 0; j < classes; j++)
        {
            seed[(long long)j * n + i] = inside && j == y ? 1.0f : (inside && j == runner ? -1.0f : 0.0f);
        }
    }
}

// Adds the chunk's terms in image order from 0.0 (the CPU's loop in WorstCaseLoss.Evaluate), then that sum to the pass's
// objective scalars[0] (the host's `loss +=` per chunk, from 0.0 at the first chunk), and the chunk's hits to *correct. One
// thread: the order is the CPU's.
extern "C" __global__ void wc_score_sum(const double* __restrict__ terms, const int* __restrict__ hits, int n, int first, double* __restrict__ scalars, int* __restrict__ correct)
{
    if (blockIdx.x != 0 || threadIdx.x != 0)
    {
        return;
    }
    double sum = 0.0;
    int count = 0;
    for (int i = 0; i < n; i++)
    {
        sum = __dadd_rn(sum, terms[i]);
        count += hits[i];
    }
    scalars[0] = __dadd_rn(first ? 0.0 : scalars[0], sum);
    *correct = (first ? 0 : *correct) + count;
}

// One step on every device of one layer (HostDescent.Update) then the projection onto the box (PerturbationBox.Project):
// sign step Δ −= η·h·sign(g) or Adam on u = Δ/h, g = ±c·∂L/∂W; devices with h ≤ 0 only get projected. One thread per
// (slice, weight), both signs.
extern "C" __global__ void wc_step(double* __restrict__ delta, const double* __restrict__ lower, const double* __restrict__ upper,
                                   double* __restrict__ mom1, double* __restrict__ mom2, const double* __restrict__ coeff,
                                   const float* __restrict__ gw, int n, int S, double eta, int adam, double beta1, double beta2,
                                   double eps, double bc1, double bc2)
{
    const long long total = (long long)S * n;
    for (long long idx = blockIdx.x * (long long)blockDim.x + threadIdx.x; idx < total; idx += (long long)gridDim.x * blockDim.x)
    {
        const long long s = idx / n;
        const long long i = idx % n;
        const double c = coeff[idx];
        const double dw = (double)gw[i];
        for (int half = 0; half < 2; half++)
        {
            const long long p = 2LL * s * n + half * (long long)n + i;
            double d = delta[p];
            const double h = upper[p];
            if (h > 0.0)
            {
                const double g = __dmul_rn(half == 0 ? c : -c, dw);
                if (adam == 0)
                {
                    const double sg = g > 0.0 ? 1.0 : (g < 0.0 ? -1.0 : 0.0);
                    d = __dsub_rn(d, __dmul_rn(__dmul_rn(eta, h), sg));
                }
                else
                {
                    const double gu = __dmul_rn(g, h);
                    const double m1 = __dadd_rn(__dmul_rn(beta1, mom1[p]), __dmul_rn(__dsub_rn(1.0, beta1), gu));
                    const double m2 = __dadd_rn(__dmul_rn(beta2, mom2[p]), __dmul_rn(__dmul_rn(__dsub_rn(1.0, beta2), gu), gu));
                    mom1[p] = m1;
                    mom2[p] = m2;
                    const double mh = __ddiv_rn(m1, bc1);
                    const double vh = __ddiv_rn(m2, bc2);
                    d = __dsub_rn(d, __ddiv_rn(__dmul_rn(__dmul_rn(eta, h), mh), __dadd_rn(__dsqrt_rn(vh), eps)));
                }
            }
            const double lo = lower[p];
            d = d < lo ? lo : (d > h ? h : d);
            delta[p] = d;
        }
    }
}

// The focus clip: U = the ⌈f·P⌉-th smallest of the P positive margins (+∞ when P = 0), exactly as sorting them would pick it
// (HostDescent.FocusClip): positive floats order as their bit patterns, so four 8-bit radix passes over a 256-bin histogram
// narrow the rank to one bit pattern. One block of 256 threads; the margins of a pass are a few thousand.
extern "C" __global__ void wc_focus_select(const float* __restrict__ margins, int count, double focus, double* __restrict__ scalars)
{
    __shared__ unsigned int hist[256];
    __shared__ unsigned int prefix;
    __shared__ unsigned int rank;
    __shared__ int positive;
    if (threadIdx.x == 0)
    {
        positive = 0;
        prefix = 0;
    }
    __syncthreads();
    int local = 0;
    for (int i = threadIdx.x; i < count; i += blockDim.x)
    {
        if (margins[i] > 0.0f)
        {
            local++;
        }
    }
    atomicAdd(&positive, local);
    __syncthreads();
    const int p = positive;
    if (p == 0)
    {
        if (threadIdx.x == 0)
        {
            scalars[1] = WC_POS_INF;
        }
        return;
    }
    if (threadIdx.x == 0)
    {
        int r = (int)ceil(__dmul_rn(focus, (double)p)) - 1;
        rank = (unsigned int)(r < 0 ? 0 : (r > p - 1 ? p - 1 : r));
    }
    unsigned int mask = 0;
    for (int shift = 24; shift >= 0; shift -= 8)
    {
        hist[threadIdx.x] = 0;
        __syncthreads();
        const unsigned int pre = prefix;
        for (int i = threadIdx.x; i < count; i += blockDim.x)
        {
            const float v = margins[i];
            if (v > 0.0f)
            {
                const unsigned int bits = __float_as_uint(v);
                if ((bits & mask) == pre)
                {
                    atomicAdd(&hist[(bits >> shift) & 255u], 1u);
                }
            }
        }
        __syncthreads();
        if (threadIdx.x == 0)
        {
            unsigned int r = rank;
            unsigned int b = 0;
            while (hist[b] <= r)
            {
                r -= hist[b];
                b++;
            }
            rank = r;
            prefix = pre | (b << shift);
        }
        mask |= 255u << shift;
        __syncthreads();
    }
    if (threadIdx.x == 0)
    {
        scalars[1] = (double)__uint_as_float(prefix);
    }
}

// Copies count doubles (Δ into the start's best).
extern "C" __global__ void wc_copy(const double* __restrict__ source, double* __restrict__ target, long long count)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x)
    {
        target[i] = source[i];
    }
}
