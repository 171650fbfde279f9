namespace CimHil.Simulation.Cuda;

/// <summary>
/// The device sampler's weights against the host's for the same chips (<see cref="CudaMonteCarlo.CompareSampler"/>):
/// <paramref name="Weights"/> floats compared, <paramref name="Differing"/> not bit-identical, the largest difference in ulps
/// (units in the last place of the float's bit pattern; 0 when every weight is the CPU's), and where the first difference is
/// (chip, layer, index, device and host value; null when none), to start a diagnosis from.
/// </summary>
public sealed record SamplerAgreement(int Chips, long Weights, long Differing, long MaxUlps, string? FirstDifference = null);
