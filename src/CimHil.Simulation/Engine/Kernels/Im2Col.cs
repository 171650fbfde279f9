namespace CimHil.Simulation.Engine.Kernels;

/// <summary>Zero padding and unfolding (im2col, Chellapilla et al. 2006) of CNHW channel planes for the Monte-Carlo inference plan.</summary>
internal static class Im2Col
{
    /// <summary>The CNHW planes zero-padded by <paramref name="pad"/> into <paramref name="padded"/> (or <paramref name="x"/> itself when pad = 0).</summary>
    public static float[] Pad(float[] x, int count, int c, int h, int w, int pad, float[] padded)
    {
        if (pad == 0)
        {
            return x;
        }

        int hp = h + (2 * pad), wp = w + (2 * pad);
        var planes = c * count;
        padded.AsSpan(0, planes * hp * wp).Clear();
        for (var pl = 0; pl < planes; pl++)
        {
            for (var y = 0; y < h; y++)
            {
                x.AsSpan(((pl * h) + y) * w, w).CopyTo(padded.AsSpan((((pl * hp) + y + pad) * wp) + pad, w));
            }
        }

        return padded;
    }
    /// <summary>
    /// cols[(c, ki, kj), (n, oy, ox)] from CNHW input: the planes are first zero-padded once into <paramref name="padded"/>, so
    /// every stride-1 row of the unfolded matrix is one contiguous copy with no bounds tests.
    /// </summary>
    public static void Unfold(float[] x, int count, int c, int h, int w, int k, int stride, int pad, int oh, int ow, float[] cols, float[] padded)
    {
        var m = count * oh * ow;
        int hp = h + (2 * pad), wp = w + (2 * pad);
        var src = Pad(x, count, c, h, w, pad, padded);
        var cs = cols.AsSpan();
        var ss = src.AsSpan();
        for (var ch = 0; ch < c; ch++)
        {
            for (var ki = 0; ki < k; ki++)
            {
                for (var kj = 0; kj < k; kj++)
                {
                    var colRow = cs.Slice((((ch * k) + ki) * k + kj) * m, m);
                    for (var n = 0; n < count; n++)
                    {
                        var plane = ((ch * count) + n) * hp * wp;
                        for (var oy = 0; oy < oh; oy++)
                        {
                            var start = plane + (((oy * stride) + ki) * wp) + kj;
                            var dst = colRow.Slice(((n * oh) + oy) * ow, ow);
                            if (stride == 1)
                            {
                                ss.Slice(start, ow).CopyTo(dst);
                            }
                            else
                            {
                                for (var ox = 0; ox < ow; ox++)
                                {
                                    dst[ox] = ss[start + (ox * stride)];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
