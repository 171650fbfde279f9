namespace CimHil.Simulation.Cuda;

/// <summary>Where the GPU Monte-Carlo draws its chips' weights (docs/gpu.md, "The sampler on the GPU").</summary>
public enum CudaSampler
{
    /// <summary>On the CPU with <see cref="Variation.SimulatedChip"/>'s own code, uploaded per launch (every model).</summary>
    Host,

    /// <summary>On the GPU (Kernels/sampler.cu), from the same streams; the plain Gaussian weight model only, else the host (the default).</summary>
    Device,
}
