using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.Cuda.Converters;

/// <summary>
/// One converter range as the kernels take it (converters.cu, cim_quantize): the step, its reciprocal and the largest code,
/// computed exactly as <see cref="Converter.Quantize"/> computes them, so device and CPU round with the same doubles.
/// </summary>
/// <param name="Step">Level spacing, <see cref="Converter.Step"/>(range, bits); not positive for a zero range (everything → 0).</param>
/// <param name="Inverse">1 / <paramref name="Step"/>.</param>
/// <param name="MaxCode">2^(bits−1) − 1.</param>
public sealed record Quantizer(double Step, double Inverse, int MaxCode)
{
    /// <summary>The quantiser of a converter with full scale <paramref name="range"/> and <paramref name="bits"/> bits.</summary>
    public static Quantizer For(double range, int bits)
    {
        var step = Converter.Step(range, bits);
        return new Quantizer(step, 1.0 / step, (1 << (bits - 1)) - 1);
    }
}
