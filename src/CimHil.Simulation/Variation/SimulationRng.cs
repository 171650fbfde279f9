using System.Numerics;
using System.Runtime.CompilerServices;
using CimHil.Core.Devices;

namespace CimHil.Simulation.Variation;

/// <summary>
/// xoshiro256** (Blackman &amp; Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 2021) seeded through
/// SplitMix64, with the unit-variance error families of the device model. One instance per chip / per batch stream,
/// derived from (seed, indices) with <see cref="Derive"/>, so results never depend on thread scheduling.
/// </summary>
public sealed class SimulationRng
{
    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Seeds the state from one 64-bit value (SplitMix64 expansion, as the xoshiro authors recommend).</summary>
    public SimulationRng(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A well-mixed 64-bit seed for stream (seed, a, b): e.g. (run seed, chip index, batch index).</summary>
    public static ulong Derive(long seed, long a, long b = -1)
    {
        var x = (ulong)seed;
        var h = SplitMix(ref x);
        x = h ^ (ulong)a;
        h = SplitMix(ref x);
        x = h ^ (ulong)b;
        return SplitMix(ref x);
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

    /// <summary>Standard normal by the Marsaglia polar method (pairs cached).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double u, v, s;
        do
        {
            u = (2 * NextDouble()) - 1;
            v = (2 * NextDouble()) - 1;
            s = (u * u) + (v * v);
        }
        while (s >= 1 || s == 0);

        var f = Math.Sqrt(-2 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

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

    private static ulong SplitMix(ref ulong x)
    {
        // SplitMix64 (Steele, Lea & Flood, OOPSLA 2014), constants from Vigna's reference implementation.
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
