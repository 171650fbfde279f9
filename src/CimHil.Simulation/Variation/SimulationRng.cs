using System.Numerics;
using System.Runtime.CompilerServices;
using CimHil.Core.Devices;
using CimHil.Core.Numerics;

namespace CimHil.Simulation.Variation;

/// <summary>
/// xoshiro256** (Blackman &amp; Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 2021) seeded through
/// SplitMix64, with the unit-variance error families of the device model. One instance per chip / per batch stream,
/// derived from (seed, indices) with <see cref="Derive"/>, so results never depend on thread scheduling.
/// </summary>
public sealed class SimulationRng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the state from one 64-bit value (SplitMix64 expansion, as the xoshiro authors recommend).</summary>
    public SimulationRng(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64.Next(ref x);
        _s1 = SplitMix64.Next(ref x);
        _s2 = SplitMix64.Next(ref x);
        _s3 = SplitMix64.Next(ref x);
    }

    /// <summary>A well-mixed 64-bit seed for stream (seed, a, b): e.g. (run seed, chip index, batch index).</summary>
    public static ulong Derive(long seed, long a, long b = -1)
    {
        var x = (ulong)seed;
        var h = SplitMix64.Next(ref x);
        x = h ^ (ulong)a;
        h = SplitMix64.Next(ref x);
        x = h ^ (ulong)b;
        return SplitMix64.Next(ref x);
    }

    /// <summary>Next 64 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in (0, 1): never 0, safe for logarithms.</summary>
    public double NextOpenDouble() => ((NextUInt64() >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>
    /// Standard normal by the ziggurat method (Marsaglia &amp; Tsang, "The Ziggurat Method for Generating Random Variables",
    /// J. Stat. Softw. 5(8), 2000; 128 layers): exact, with the tail beyond r sampled by Marsaglia's exponential method.
    /// About 99 % of draws cost one 64-bit random number and one comparison, several times cheaper than the polar method,
    /// which matters because every simulated chip draws a few normals per device.
    /// </summary>
    public double NextGaussian()
    {
        while (true)
        {
            // One 64-bit draw: 7 bits pick the layer, 1 bit the sign, the top 53 bits the position inside the layer.
            var bits = NextUInt64();
            var layer = (int)(bits & 0x7F);
            var sign = (bits & 0x80) == 0 ? 1.0 : -1.0;
            var x = (bits >> 11) * (1.0 / (1UL << 53)) * Ziggurat.X[layer];
            if (x < Ziggurat.X[layer + 1])
            {
                return sign * x;
            }

            if (layer == 0)
            {
                // Base layer beyond r: the normal tail, x = r + e₁/r accepted when 2·e₂ ≥ (e₁/r)².
                double t, e;
                do
                {
                    t = -Math.Log(NextOpenDouble()) / Ziggurat.R;
                    e = -Math.Log(NextOpenDouble());
                }
                while (2 * e < t * t);

                return sign * (Ziggurat.R + t);
            }

            // Wedge: y uniform between the layer's lower and upper density bounds, accepted under the curve.
            var y = Ziggurat.F[layer] + (NextDouble() * (Ziggurat.F[layer + 1] - Ziggurat.F[layer]));
            if (y < Math.Exp(-0.5 * x * x))
            {
                return sign * x;
            }
        }
    }

    /// <summary>The ziggurat's layer edges X[0..128] (X[1] = r), for a device-side copy of <see cref="NextGaussian"/> (the GPU sampler).</summary>
    public static IReadOnlyList<double> ZigguratEdges => Ziggurat.X;

    /// <summary>The ziggurat's densities F[i] = exp(−X[i]²/2), for a device-side copy of <see cref="NextGaussian"/>.</summary>
    public static IReadOnlyList<double> ZigguratDensities => Ziggurat.F;

    /// <summary>Zero-mean, unit-variance sample of <paramref name="family"/>.</summary>
    public double Next(ErrorDistribution family)
    {
        switch (family)
        {
            case ErrorDistribution.Laplace:
                {
                    // Laplace(0, b) has variance 2b²: b = 1/√2. Inverse CDF on u ∈ (−1/2, 1/2).
                    var u = NextOpenDouble() - 0.5;
                    return -Math.Sign(u) * Math.Log(1 - (2 * Math.Abs(u))) / Math.Sqrt(2);
                }

            case ErrorDistribution.Logistic:
                {
                    // Logistic(0, s) has variance s²π²/3: s = √3/π. Inverse CDF s·ln(u/(1−u)).
                    var u = NextOpenDouble();
                    return Math.Sqrt(3) / Math.PI * Math.Log(u / (1 - u));
                }

            default:
                return NextGaussian();
        }
    }

    /// <summary>
    /// The 128-layer ziggurat for exp(−x²/2) (Marsaglia &amp; Tsang 2000): r and the common layer area v are the paper's
    /// constants; X[0] = v/f(r) is the base strip's width, X[1] = r, X[i+1] = √(−2 ln(v/X[i] + f(X[i]))), X[128] = 0;
    /// F[i] = f(X[i]).
    /// </summary>
    private static class Ziggurat
    {
        public const double R = 3.442619855899;
        private const double V = 9.91256303526217e-3;

        public static readonly double[] X = BuildX();
        public static readonly double[] F = X.Select(x => Math.Exp(-0.5 * x * x)).ToArray();

        private static double[] BuildX()
        {
            var x = new double[129];
            x[0] = V / Math.Exp(-0.5 * R * R);
            x[1] = R;
            for (var i = 1; i < 127; i++)
            {
                x[i + 1] = Math.Sqrt(-2 * Math.Log((V / x[i]) + Math.Exp(-0.5 * x[i] * x[i])));
            }

            x[128] = 0;
            return x;
        }
    }
}
