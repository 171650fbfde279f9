using System.Numerics.Tensors;

namespace CimHil.Simulation.Engine;

/// <summary>The managed GEMM kernel: blocked row-axpy with TensorPrimitives, parallel over fixed output tiles.</summary>
internal static class ManagedGemm
{
    // Tile sizes chosen so one B panel (KBlock × NBlock floats = 128 KiB) stays in L2 while a row tile streams through it.
    private const int RowTile = 16;
    private const int NBlock = 256;
    private const int KBlock = 128;

    public static void Multiply(
        bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        // Normalise to row-major A (m×k, stride ka) and B (k×n, stride kb); transposed operands are copied once.
        float[] aArr;
        int ka;
        if (transA)
        {
            aArr = new float[m * k];
            for (var p = 0; p < k; p++)
            {
                for (var i = 0; i < m; i++)
                {
                    aArr[(i * k) + p] = a[(p * lda) + i];
                }
            }

            ka = k;
        }
        else
        {
            aArr = a.ToArray();
            ka = lda;
        }

        float[] bArr;
        int kb;
        if (transB)
        {
            bArr = new float[k * n];
            for (var j = 0; j < n; j++)
            {
                for (var p = 0; p < k; p++)
                {
                    bArr[(p * n) + j] = b[(j * ldb) + p];
                }
            }

            kb = n;
        }
        else
        {
            bArr = b.ToArray();
            kb = ldb;
        }

        // C is scaled by beta first (beta == 0 overwrites, so NaN/garbage in C does not propagate, as BLAS specifies).
        var cArr = new float[m * n];
        if (beta != 0f)
        {
            for (var i = 0; i < m; i++)
            {
                TensorPrimitives.Multiply(c.Slice(i * ldc, n), beta, cArr.AsSpan(i * n, n));
            }
        }

        var rowTiles = (m + RowTile - 1) / RowTile;
        var colTiles = (n + NBlock - 1) / NBlock;
        var tiles = rowTiles * colTiles;

        void Tile(int t)
        {
            var i0 = (t / colTiles) * RowTile;
            var j0 = (t % colTiles) * NBlock;
            var i1 = Math.Min(i0 + RowTile, m);
            var nb = Math.Min(NBlock, n - j0);
            for (var p0 = 0; p0 < k; p0 += KBlock)
            {
                var p1 = Math.Min(p0 + KBlock, k);
                for (var i = i0; i < i1; i++)
                {
                    var cRow = cArr.AsSpan((i * n) + j0, nb);
                    for (var p = p0; p < p1; p++)
                    {
                        var av = alpha * aArr[(i * ka) + p];
                        if (av != 0f)
                        {
                            TensorPrimitives.MultiplyAdd(bArr.AsSpan((p * kb) + j0, nb), av, cRow, cRow);
                        }
                    }
                }
            }
        }

        // Each output element is owned by one tile and accumulated in ascending p, so the result is the same for any
        // thread count (deterministic).
        if ((long)m * n * k < 1 << 18 || tiles == 1)
        {
            for (var t = 0; t < tiles; t++)
            {
                Tile(t);
            }
        }
        else
        {
            Parallel.For(0, tiles, Tile);
        }

        for (var i = 0; i < m; i++)
        {
            cArr.AsSpan(i * n, n).CopyTo(c.Slice(i * ldc, n));
        }
    }
}
