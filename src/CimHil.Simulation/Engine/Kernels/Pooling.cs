using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CimHil.Simulation.Engine.Kernels;

/// <summary>Max pooling over CNHW channel planes (AVX2 for the common 2×2/2 case) for the Monte-Carlo inference plan.</summary>
internal static class Pooling
{
    /// <summary>k×k max pooling with stride <paramref name="stride"/> (no padding) of <paramref name="planes"/> planes [h, w] into [oh, ow].</summary>
    public static void Max(float[] x, float[] y, int planes, int h, int w, int k, int stride, int oh, int ow)
    {
        if (k == 2 && stride == 2 && ow >= 8 && Avx2.IsSupported)
        {
            MaxPool2x2Avx(x, y, planes, h, w, oh, ow);
            return;
        }

        if (k == 2 && stride == 2)
        {
            for (var p = 0; p < planes; p++)
            {
                for (var oy = 0; oy < oh; oy++)
                {
                    var r0 = (p * h * w) + (2 * oy * w);
                    var r1 = r0 + w;
                    var o = (p * oh * ow) + (oy * ow);
                    for (var ox = 0; ox < ow; ox++)
                    {
                        var i = 2 * ox;
                        y[o + ox] = Math.Max(Math.Max(x[r0 + i], x[r0 + i + 1]), Math.Max(x[r1 + i], x[r1 + i + 1]));
                    }
                }
            }

            return;
        }

        for (var p = 0; p < planes; p++)
        {
            var inPlane = p * h * w;
            var outPlane = p * oh * ow;
            for (var oy = 0; oy < oh; oy++)
            {
                for (var ox = 0; ox < ow; ox++)
                {
                    var top = inPlane + (oy * stride * w) + (ox * stride);
                    var best = x[top];
                    for (var ki = 0; ki < k; ki++)
                    {
                        var r = top + (ki * w);
                        for (var kj = 0; kj < k; kj++)
                        {
                            best = Math.Max(best, x[r + kj]);
                        }
                    }

                    y[outPlane + (oy * ow) + ox] = best;
                }
            }
        }
    }
    /// <summary>
    /// 2×2/2 max pooling, 8 outputs per step: the vertical max of two rows of 16 inputs, then even/odd lanes split by
    /// shufps (0x88 / 0xDD) and the 64-bit quarters put back in order by vpermpd 0xD8. The last step of a row is shifted
    /// back to end at the row end (it overlaps the previous one; max is idempotent), so rows of any width ≥ 8 need no scalar tail.
    /// </summary>
    private static void MaxPool2x2Avx(float[] x, float[] y, int planes, int h, int w, int oh, int ow)
    {
        ref var xr = ref MemoryMarshal.GetArrayDataReference(x);
        ref var yr = ref MemoryMarshal.GetArrayDataReference(y);
        for (var p = 0; p < planes; p++)
        {
            for (var oy = 0; oy < oh; oy++)
            {
                var r0 = (p * h * w) + (2 * oy * w);
                var r1 = r0 + w;
                var o = (p * oh * ow) + (oy * ow);
                for (var ox = 0; ox < ow; ox += 8)
                {
                    var at = Math.Min(ox, ow - 8);
                    var i = 2 * at;
                    var a = Avx.Max(Vector256.LoadUnsafe(ref xr, (nuint)(r0 + i)), Vector256.LoadUnsafe(ref xr, (nuint)(r1 + i)));
                    var b = Avx.Max(Vector256.LoadUnsafe(ref xr, (nuint)(r0 + i + 8)), Vector256.LoadUnsafe(ref xr, (nuint)(r1 + i + 8)));
                    var m = Avx.Max(Avx.Shuffle(a, b, 0x88), Avx.Shuffle(a, b, 0xDD));
                    Avx2.Permute4x64(m.AsDouble(), 0xD8).AsSingle().StoreUnsafe(ref yr, (nuint)(o + at));
                }
            }
        }
    }
}
