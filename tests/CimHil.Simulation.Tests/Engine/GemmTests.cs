using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Tests.Engine;

public class GemmTests
{
    public static IEnumerable<object[]> Cases()
    {
        foreach (var b in TestUtil.Backends())
        {
            foreach (var ta in new[] { false, true })
            {
                foreach (var tb in new[] { false, true })
                {
                    yield return [b[0], ta, tb];
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Multiply_AllTransposesAndStrides_MatchesDoubleReference(GemmBackend backend, bool transA, bool transB)
    {
        using var _ = Gemm.Use(backend);
        var rng = new Random(7);

        // Sizes straddle the managed kernel's tiles (16 rows, 256 columns, 128 depth) and leading dimensions exceed widths.
        int m = 37, n = 300, k = 150, pad = 3;
        int lda = (transA ? m : k) + pad, ldb = (transB ? k : n) + pad, ldc = n + pad;
        var a = TestUtil.RandomArray(rng, (transA ? k : m) * lda);
        var b = TestUtil.RandomArray(rng, (transB ? n : k) * ldb);
        var c = TestUtil.RandomArray(rng, m * ldc);
        var expected = (float[])c.Clone();
        const float alpha = 0.75f, beta = -0.5f;
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double s = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = transA ? a[(p * lda) + i] : a[(i * lda) + p];
                    var bv = transB ? b[(j * ldb) + p] : b[(p * ldb) + j];
                    s += (double)av * bv;
                }

                expected[(i * ldc) + j] = (float)((alpha * s) + (beta * c[(i * ldc) + j]));
            }
        }

        Gemm.Multiply(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

        // float32 accumulation over k = 150 terms of magnitude ≤ 1: error ≲ k·2⁻²⁴·√k ≈ 1e-4.
        TestUtil.AssertClose(expected, c, 2e-4, 1e-4, $"{backend} transA={transA} transB={transB}");
    }

    [Fact]
    public void Multiply_BetaZero_IgnoresNaNInOutput()
    {
        using var _ = Gemm.Use(GemmBackend.Managed);
        var c = new[] { float.NaN, float.NaN };
        Gemm.Multiply(false, false, 1, 2, 1, [2f], [3f, 4f], c);
        Assert.Equal([6f, 8f], c);
    }

    [Fact]
    public void Multiply_ManagedTwice_IsBitIdentical()
    {
        using var _ = Gemm.Use(GemmBackend.Managed);
        var rng = new Random(3);
        var a = TestUtil.RandomArray(rng, 64 * 500);
        var b = TestUtil.RandomArray(rng, 500 * 700);
        var c1 = new float[64 * 700];
        var c2 = new float[64 * 700];
        Gemm.Multiply(false, false, 64, 700, 500, a, b, c1);
        Gemm.Multiply(false, false, 64, 700, 500, a, b, c2);
        Assert.Equal(c1, c2);
    }

    [Fact]
    public void Multiply_BufferTooSmall_ThrowsNamingOperand()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, false, 2, 2, 2, new float[3], new float[4], new float[4]));
        Assert.Contains("operand A", ex.Message, StringComparison.Ordinal);
    }
}
