using CimHil.Core.Numerics;

namespace CimHil.Emulator;

/// <summary>
/// Counter-based random numbers: every draw is a pure function of (seed, stream, cell, counter), so results do not
/// depend on how operations are batched (a block read equals the same cells read one by one) and no generator state
/// is shared between cells. The mixer is <see cref="SplitMix64.Finalise"/>, applied per input word.
/// </summary>
internal static class CounterRng
{
    /// <summary>Independent purposes of random draws; fabrication streams are offset by the parameter index.</summary>
    internal enum Stream : ulong
    {
        Pulse = 1,
        Forming = 2,
        Read = 3,
        Vmm = 4,
        Fabrication = 1000,
    }

    public static ulong Hash(long seed, ulong stream, long cell, ulong counter)
    {
        var h = SplitMix64.Finalise(unchecked((ulong)seed) + SplitMix64.Gamma);
        h = SplitMix64.Finalise(h ^ (stream * 0xD1B54A32D192ED03UL));
        h = SplitMix64.Finalise(h ^ unchecked((ulong)cell * 0xAEF17502108EF2D9UL));
        return SplitMix64.Finalise(h ^ (counter + 0x632BE59BD9B4E019UL));
    }

    /// <summary>Uniform in (0, 1), never 0 so it is safe under a logarithm.</summary>
    public static double Uniform(ulong bits) => ((bits >> 11) + 0.5) * (1.0 / (1UL << 53));

    /// <summary>A standard-normal draw (Box–Muller on two hashed words).</summary>
    public static double Normal(long seed, ulong stream, long cell, ulong counter)
    {
        var a = Hash(seed, stream, cell, counter * 2);
        var b = Hash(seed, stream, cell, (counter * 2) + 1);
        var r = Math.Sqrt(-2.0 * Math.Log(Uniform(a)));
        return r * Math.Cos(2.0 * Math.PI * Uniform(b));
    }

    public static double Normal(long seed, Stream stream, long cell, ulong counter) => Normal(seed, (ulong)stream, cell, counter);

    public static double UniformDraw(long seed, ulong stream, long cell, ulong counter) => Uniform(Hash(seed, stream, cell, counter));
}
