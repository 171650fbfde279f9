namespace CimHil.Core.Numerics;

/// <summary>
/// SplitMix64 (Steele, Lea &amp; Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), constants from
/// Vigna's reference implementation (prng.di.unimi.it/splitmix64.c). The one copy of the mixer: the emulator's
/// counter-based draws, cell sampling and the simulation's xoshiro seeding all use it, each combining its own inputs
/// before the finaliser so their bit streams stay as they were.
/// </summary>
public static class SplitMix64
{
    /// <summary>The Weyl-sequence increment: 2⁶⁴ divided by the golden ratio, odd.</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>The finaliser: a bijective 64-bit avalanche mix (a variant of MurmurHash3's fmix64, Stafford's Mix13).</summary>
    public static ulong Finalise(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The generator's next output: advances <paramref name="state"/> by <see cref="Gamma"/> and finalises it.</summary>
    public static ulong Next(ref ulong state)
    {
        state += Gamma;
        return Finalise(state);
    }
}
