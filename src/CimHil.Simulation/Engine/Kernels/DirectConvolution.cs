using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CimHil.Simulation.Engine.Kernels;

/// <summary>
/// Stride-1 direct convolutions from zero-padded CNHW planes (no unfolded matrix; Zhang, Franchetti &amp; Low, ICML 2018),
/// register-blocked over output pixels (<see cref="ByPixel"/>) or over output channels (<see cref="ByChannel"/>). Used by
/// the Monte-Carlo inference plan.
/// </summary>
/// <remarks>
/// The two kernels' tap loops look alike on purpose: each spells out its FMAs on named accumulator locals, because the
/// speed comes from keeping all of them in vector registers, and routing them through a shared helper by reference would
/// let the JIT spill them inside the loop (what halved conv1's speed before; see <see cref="ByPixel"/>). A by-value helper
/// returning the pair was tried (issue #15): the JIT then broadcast from a register and added a register move per FMA pair
/// in the tap loop (checked with DOTNET_JitDisasm), so the FMAs stay spelled out.
/// </remarks>
internal static class DirectConvolution
{
    /// <summary>
    /// Stride-1 convolution straight from the padded CNHW planes, without an unfolded matrix: for a block of 6 output
    /// channels and 16 adjacent output pixels of one row, the 12 accumulators stay in vector registers while the kernel
    /// walks the C·k·k taps (each tap = two unaligned loads of the input row shifted by (ki, kj), six broadcast weights).
    /// This is the "direct convolution" of Zhang, Franchetti &amp; Low (ICML 2018): it performs exactly the GEMM's
    /// multiply-adds but skips writing and re-reading the k²-times larger unfolded input, which dominated the time for conv1.
    /// Lanes past the row end are computed from the slack behind the row and discarded (the buffers carry
    /// <c>InferenceWorkspace.Slack</c> extra floats). Output: y[O, n, oy, ox] (channel planes of the chunk).
    /// </summary>
    public static void ByPixel(float[] src, int count, int c, int hp, int wp, int k, int oh, int ow, float[] w, int outC, float[] y, float[] packed)
    {
        const int R = 6;
        var fan = c * k * k;
        var blocks = (outC + R - 1) / R;
        PackChannelBlocks(w, outC, fan, R, packed);
        var plane = hp * wp;
        Span<int> offsets = fan <= 4096 ? stackalloc int[fan] : new int[fan];
        TapOffsets(c, k, count * plane, wp, offsets);

        ref var s0 = ref MemoryMarshal.GetArrayDataReference(src);
        ref var p0 = ref MemoryMarshal.GetArrayDataReference(packed);
        ref var o0 = ref MemoryMarshal.GetReference(offsets);
        var outPlane = oh * ow;
        var outStride = count * outPlane;
        Span<float> acc = stackalloc float[R * 16];
        ref var accRef = ref MemoryMarshal.GetReference(acc);
        for (var b = 0; b < blocks; b++)
        {
            var rows = Math.Min(R, outC - (b * R));
            ref var wb = ref Unsafe.Add(ref p0, b * fan * R);
            for (var n = 0; n < count; n++)
            {
                for (var oy = 0; oy < oh; oy++)
                {
                    var rowBase = (n * plane) + (oy * wp);
                    for (var ox = 0; ox < ow; ox += 16)
                    {
                        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
                        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default;
                        ref var xs = ref Unsafe.Add(ref s0, rowBase + ox);
                        for (var f = 0; f < fan; f++)
                        {
                            ref var xf = ref Unsafe.Add(ref xs, Unsafe.Add(ref o0, f));
                            var x0 = Vector256.LoadUnsafe(ref xf);
                            var x1 = Vector256.LoadUnsafe(ref xf, 8);
                            ref var wf = ref Unsafe.Add(ref wb, f * R);
                            var wv = Vector256.Create(wf);
                            a0 = Vector256.FusedMultiplyAdd(wv, x0, a0);
                            b0 = Vector256.FusedMultiplyAdd(wv, x1, b0);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 1));
                            a1 = Vector256.FusedMultiplyAdd(wv, x0, a1);
                            b1 = Vector256.FusedMultiplyAdd(wv, x1, b1);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 2));
                            a2 = Vector256.FusedMultiplyAdd(wv, x0, a2);
                            b2 = Vector256.FusedMultiplyAdd(wv, x1, b2);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 3));
                            a3 = Vector256.FusedMultiplyAdd(wv, x0, a3);
                            b3 = Vector256.FusedMultiplyAdd(wv, x1, b3);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 4));
                            a4 = Vector256.FusedMultiplyAdd(wv, x0, a4);
                            b4 = Vector256.FusedMultiplyAdd(wv, x1, b4);
                            wv = Vector256.Create(Unsafe.Add(ref wf, 5));
                            a5 = Vector256.FusedMultiplyAdd(wv, x0, a5);
                            b5 = Vector256.FusedMultiplyAdd(wv, x1, b5);
                        }

                        // Park the accumulators in a stack buffer before any call (Span copies call memmove): on SysV x64 a call
                        // clobbers every vector register, and the JIT would then spill all 12 accumulators inside the tap loop.
                        Park(ref accRef, a0, b0, a1, b1, a2, b2, a3, b3, a4, b4);
                        a5.StoreUnsafe(ref accRef, 80);
                        b5.StoreUnsafe(ref accRef, 88);
                        var valid = Math.Min(16, ow - ox);
                        var outBase = (n * outPlane) + (oy * ow) + ox;
                        for (var r = 0; r < rows; r++)
                        {
                            acc.Slice(r * 16, valid).CopyTo(y.AsSpan((((b * R) + r) * outStride) + outBase, valid));
                        }
                    }
                }
            }
        }
    }
    /// <summary>
    /// Stride-1 direct convolution vectorised over output channels instead of output pixels, for layers with a multiple of
    /// 16 output channels: the 16 channels of a block fill two vectors exactly, so narrow rows waste no lanes (LeNet's conv2,
    /// rows of 10, wasted 44 % of the lanes in <see cref="ByPixel"/>'s 16-pixel × 6-channel blocks). Five adjacent output
    /// pixels × 16 channels = 10 accumulators stay in registers; each tap loads the 16 packed weights once and broadcasts
    /// five inputs. Output layout as <see cref="ByPixel"/>: y[O, n, oy, ox].
    /// </summary>
    public static void ByChannel(float[] src, int count, int c, int hp, int wp, int k, int oh, int ow, float[] w, int outC, float[] y, float[] packed)
    {
        const int R = 16, P = 5;
        var fan = c * k * k;
        var blocks = outC / R;
        PackChannelBlocks(w, outC, fan, R, packed);
        var plane = hp * wp;
        Span<int> offsets = fan <= 4096 ? stackalloc int[fan] : new int[fan];
        TapOffsets(c, k, count * plane, wp, offsets);

        ref var s0 = ref MemoryMarshal.GetArrayDataReference(src);
        ref var p0 = ref MemoryMarshal.GetArrayDataReference(packed);
        ref var o0 = ref MemoryMarshal.GetReference(offsets);
        ref var y0 = ref MemoryMarshal.GetArrayDataReference(y);
        var outPlane = oh * ow;
        var outStride = count * outPlane;
        Span<float> acc = stackalloc float[P * R];
        ref var accRef = ref MemoryMarshal.GetReference(acc);
        for (var b = 0; b < blocks; b++)
        {
            ref var wb = ref Unsafe.Add(ref p0, b * fan * R);
            ref var yb = ref Unsafe.Add(ref y0, b * R * outStride);
            for (var n = 0; n < count; n++)
            {
                for (var oy = 0; oy < oh; oy++)
                {
                    var rowBase = (n * plane) + (oy * wp);
                    var outBase = (n * outPlane) + (oy * ow);
                    var ox = 0;
                    for (; ox + P <= ow; ox += P)
                    {
                        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default;
                        Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default;
                        ref var xs = ref Unsafe.Add(ref s0, rowBase + ox);
                        for (var f = 0; f < fan; f++)
                        {
                            ref var xf = ref Unsafe.Add(ref xs, Unsafe.Add(ref o0, f));
                            ref var wf = ref Unsafe.Add(ref wb, f * R);
                            var w0 = Vector256.LoadUnsafe(ref wf);
                            var w1 = Vector256.LoadUnsafe(ref wf, 8);
                            var x = Vector256.Create(xf);
                            a0 = Vector256.FusedMultiplyAdd(w0, x, a0);
                            b0 = Vector256.FusedMultiplyAdd(w1, x, b0);
                            x = Vector256.Create(Unsafe.Add(ref xf, 1));
                            a1 = Vector256.FusedMultiplyAdd(w0, x, a1);
                            b1 = Vector256.FusedMultiplyAdd(w1, x, b1);
                            x = Vector256.Create(Unsafe.Add(ref xf, 2));
                            a2 = Vector256.FusedMultiplyAdd(w0, x, a2);
                            b2 = Vector256.FusedMultiplyAdd(w1, x, b2);
                            x = Vector256.Create(Unsafe.Add(ref xf, 3));
                            a3 = Vector256.FusedMultiplyAdd(w0, x, a3);
                            b3 = Vector256.FusedMultiplyAdd(w1, x, b3);
                            x = Vector256.Create(Unsafe.Add(ref xf, 4));
                            a4 = Vector256.FusedMultiplyAdd(w0, x, a4);
                            b4 = Vector256.FusedMultiplyAdd(w1, x, b4);
                        }

                        // Parked before the scalar scatter (see ByPixel: a call would make the JIT spill the accumulators).
                        Park(ref accRef, a0, b0, a1, b1, a2, b2, a3, b3, a4, b4);
                        for (var r = 0; r < R; r++)
                        {
                            ref var yr = ref Unsafe.Add(ref yb, (r * outStride) + outBase + ox);
                            for (var q = 0; q < P; q++)
                            {
                                Unsafe.Add(ref yr, q) = Unsafe.Add(ref accRef, (q * R) + r);
                            }
                        }
                    }

                    // Row tail (ow not a multiple of 5): one pixel at a time.
                    for (; ox < ow; ox++)
                    {
                        Vector256<float> a0 = default, b0 = default;
                        ref var xs = ref Unsafe.Add(ref s0, rowBase + ox);
                        for (var f = 0; f < fan; f++)
                        {
                            ref var wf = ref Unsafe.Add(ref wb, f * R);
                            var x = Vector256.Create(Unsafe.Add(ref xs, Unsafe.Add(ref o0, f)));
                            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref wf), x, a0);
                            b0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref wf, 8), x, b0);
                        }

                        a0.StoreUnsafe(ref accRef, 0);
                        b0.StoreUnsafe(ref accRef, 8);
                        for (var r = 0; r < R; r++)
                        {
                            Unsafe.Add(ref yb, (r * outStride) + outBase + ox) = Unsafe.Add(ref accRef, r);
                        }
                    }
                }
            }
        }
    }
    /// <summary>Stores ten accumulators side by side (a0, b0, a1, b1, …: 8 lanes each) into the stack buffer at <paramref name="acc"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Park(
        ref float acc, Vector256<float> a0, Vector256<float> b0, Vector256<float> a1, Vector256<float> b1, Vector256<float> a2,
        Vector256<float> b2, Vector256<float> a3, Vector256<float> b3, Vector256<float> a4, Vector256<float> b4)
    {
        a0.StoreUnsafe(ref acc, 0);
        b0.StoreUnsafe(ref acc, 8);
        a1.StoreUnsafe(ref acc, 16);
        b1.StoreUnsafe(ref acc, 24);
        a2.StoreUnsafe(ref acc, 32);
        b2.StoreUnsafe(ref acc, 40);
        a3.StoreUnsafe(ref acc, 48);
        b3.StoreUnsafe(ref acc, 56);
        a4.StoreUnsafe(ref acc, 64);
        b4.StoreUnsafe(ref acc, 72);
    }

    /// <summary>
    /// W [outC, fan] repacked as [⌈outC/R⌉][fan][R]: the R output channels of one tap side by side (zero rows pad the last block),
    /// the layout both direct-convolution kernels stream.
    /// </summary>
    private static void PackChannelBlocks(float[] w, int outC, int fan, int r, float[] packed)
    {
        var blocks = (outC + r - 1) / r;
        for (var b = 0; b < blocks; b++)
        {
            for (var f = 0; f < fan; f++)
            {
                for (var q = 0; q < r; q++)
                {
                    var row = (b * r) + q;
                    packed[(((b * fan) + f) * r) + q] = row < outC ? w[(row * fan) + f] : 0f;
                }
            }
        }
    }
    /// <summary>Offset of every tap (channel, ki, kj) from the top-left input of an output pixel, in CNHW planes of <paramref name="channelStride"/> floats.</summary>
    private static void TapOffsets(int c, int k, int channelStride, int wp, Span<int> offsets)
    {
        for (var ch = 0; ch < c; ch++)
        {
            for (var ki = 0; ki < k; ki++)
            {
                for (var kj = 0; kj < k; kj++)
                {
                    offsets[(((ch * k) + ki) * k) + kj] = (ch * channelStride) + (ki * wp) + kj;
                }
            }
        }
    }
}
