namespace CimHil.Simulation.MonteCarlo;

/// <summary>Where the Monte-Carlo chips run: <c>--device</c> and <c>simulation.device</c> (docs/gpu.md).</summary>
public enum ComputeDevice
{
    /// <summary>The CPU path (MonteCarloEvaluator's own loop).</summary>
    Cpu,

    /// <summary>CUDA; an error when no GPU, driver or library is found.</summary>
    Cuda,

    /// <summary>CUDA when available, else the CPU with one log line naming what was missing.</summary>
    Auto,
}
