using CimHil.Simulation.Cuda.Converters;
using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// The converter kernels (converters.cu) built for the host by g++ against the CPU's <see cref="Converter.Quantize"/> and
/// <see cref="CrossbarForward"/>'s sum: bit for bit, boundary values included (docs/gpu.md, "Converters").
/// </summary>
public sealed class ConverterKernelHostTests : IDisposable
{
    private readonly ConverterKernels _kernels = new();

    public void Dispose() => _kernels.Dispose();

    [Theory]
    [InlineData(1.7, 2)]
    [InlineData(0.9, 5)]
    [InlineData(3.25, 8)]
    [InlineData(0.013, 16)]
    [InlineData(0.0, 6)]
    [InlineData(3.75, 5)] // step 1/4: the midpoints are exact floats, so round-half-away (not to even) is tested
    [InlineData(63.5, 8)] // step 1/2
    public void DacQuantize_EqualsConverterQuantize_BitForBit(double range, int bits)
    {
        var q = Quantizer.For(range, bits);
        var values = Values(range, bits, 7);
        const int groups = 2;
        var x = values.Concat(values.Select(v => -v)).ToArray();
        var expected = (float[])x.Clone();
        Converter.Quantize(expected, range, bits);

        _kernels.DacQuantize(x, 0, values.Length, values.Length, groups, q);

        AssertBitwise(expected, x);
    }

    [Fact]
    public void DacQuantize_TouchesOnlyItsSpanOfEachChip()
    {
        var x = Enumerable.Range(0, 20).Select(i => 0.37f * i).ToArray();
        var before = (float[])x.Clone();

        // Rows 2…4 of [5][2] per chip (offset 4, six values), two chips ten values apart.
        _kernels.DacQuantize(x, 4, 6, 10, 2, Quantizer.For(4.0, 3));

        for (var i = 0; i < x.Length; i++)
        {
            var inside = i % 10 is >= 4 and < 10;
            if (!inside)
            {
                Assert.Equal(before[i], x[i]);
            }
        }

        var expected = before[4..10];
        Converter.Quantize(expected, 4.0, 3);
        AssertBitwise(expected, x[4..10]);
        AssertBitwise(before[14..20].Select(v => Quantized(v, 4.0, 3)).ToArray(), x[14..20]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AdcAccumulate_QuantisesPerColumnTile_AddsAndScalesAsCrossbarForward(bool adc)
    {
        // Two chips, O = 7 outputs in column tiles of 3 (ranges per tile), M = 5, two partial products then the factor.
        const int groups = 2, o = 7, m = 5, tileColumns = 3, bits = 5;
        double[] ranges = [2.5, 0.75, 0.0];
        var table = new List<double> { 99, 99 };
        foreach (var r in ranges)
        {
            var q = Quantizer.For(r, bits);
            table.AddRange([q.Step, q.Inverse]);
        }

        var rng = new Random(17);
        float[] Part() => Enumerable.Range(0, groups * o * m).Select(_ => (float)((rng.NextDouble() * 6) - 3)).ToArray();
        float[] p0 = Part(), p1 = Part();
        float[] factors = [0.8125f, 1f];
        var y = Enumerable.Repeat(float.NaN, groups * o * m).ToArray();

        _kernels.AdcAccumulate(p0, y, groups, o, m, tileColumns, [.. table], 2, adc ? (1 << (bits - 1)) - 1 : 0, true, null);
        _kernels.AdcAccumulate(p1, y, groups, o, m, tileColumns, [.. table], 2, adc ? (1 << (bits - 1)) - 1 : 0, false, factors);

        // The CPU: per chip, the [m, O] partial sums quantised per column tile segment, added into zeros in order, × factor.
        var expected = new float[y.Length];
        for (var g = 0; g < groups; g++)
        {
            var sum = new float[m * o];
            foreach (var part in new[] { p0, p1 })
            {
                var tmp = new float[m * o];
                for (var r = 0; r < m; r++)
                {
                    for (var c = 0; c < o; c++)
                    {
                        tmp[(r * o) + c] = part[(g * o * m) + (c * m) + r];
                    }

                    for (var ct = 0; ct * tileColumns < o; ct++)
                    {
                        var seg = tmp.AsSpan((r * o) + (ct * tileColumns), Math.Min(tileColumns, o - (ct * tileColumns)));
                        if (adc)
                        {
                            Converter.Quantize(seg, ranges[ct], bits);
                        }
                    }
                }

                System.Numerics.Tensors.TensorPrimitives.Add(sum, tmp, sum);
            }

            System.Numerics.Tensors.TensorPrimitives.Multiply(sum, factors[g], sum);
            for (var r = 0; r < m; r++)
            {
                for (var c = 0; c < o; c++)
                {
                    expected[(g * o * m) + (c * m) + r] = sum[(r * o) + c];
                }
            }
        }

        AssertBitwise(expected, y);
    }

    internal static void AssertBitwise(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(
                BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }

    private static float Quantized(float v, double range, int bits)
    {
        var one = new[] { v };
        Converter.Quantize(one, range, bits);
        return one[0];
    }

    // Random values over twice the range, the levels and the midpoints between them (as close as a float gets), both ends of the
    // range, ±0, NaN and ±∞.
    private static float[] Values(double range, int bits, int seed)
    {
        var rng = new Random(seed);
        var step = Converter.Step(range, bits);
        var max = (1 << (bits - 1)) - 1;
        var values = new List<float> { 0f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, (float)range, (float)(range * 1.0000001), 1e-30f };
        values.AddRange(Enumerable.Range(0, 400).Select(_ => (float)(((rng.NextDouble() * 4) - 2) * Math.Max(range, 1e-3))));
        for (var k = -Math.Min(max, 40); k <= Math.Min(max, 40); k++)
        {
            var mid = (k + 0.5) * step;
            values.AddRange([(float)(k * step), (float)mid, MathF.BitDecrement((float)mid), MathF.BitIncrement((float)mid)]);
        }

        return [.. values];
    }
}
