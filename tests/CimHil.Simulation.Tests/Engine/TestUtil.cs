using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Tests.Engine;

internal static class TestUtil
{
    public static string FixturePath(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static Tensor RandomTensor(Random rng, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        for (var i = 0; i < t.Length; i++)
        {
            t.Data[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return t;
    }

    public static float[] RandomArray(Random rng, int n)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return a;
    }

    /// <summary>Asserts |a − e| ≤ atol + rtol·|e| elementwise, reporting the worst index.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = -1;
        var worstExcess = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var err = Math.Abs((double)actual[i] - expected[i]);
            var excess = err - (atol + (rtol * Math.Abs(expected[i])));
            if (excess > worstExcess || double.IsNaN(err))
            {
                worstExcess = double.IsNaN(err) ? double.PositiveInfinity : excess;
                worst = i;
            }
        }

        Assert.True(worst < 0, worst < 0 ? string.Empty : $"{what}: index {worst} expected {expected[worst]} got {actual[worst]} (atol {atol}, rtol {rtol})");
    }

    public static IEnumerable<object[]> Backends()
    {
        yield return [GemmBackend.Managed];
        if (Gemm.OpenBlasAvailable)
        {
            yield return [GemmBackend.OpenBlas];
        }
    }
}
