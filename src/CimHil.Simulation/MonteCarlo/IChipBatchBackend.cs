namespace CimHil.Simulation.MonteCarlo;

/// <summary>
/// Evaluates many simulated chips at once on another device (the GPU: src/CimHil.Simulation.Cuda, docs/gpu.md). Chip c must
/// compute with the weights <see cref="Variation.SimulatedChip.EffectiveWeights"/> gives for (seed, c) and each inference
/// batch, so its accuracies differ from the CPU path's only by the device's rounding (summation order).
/// </summary>
public interface IChipBatchBackend : IDisposable
{
    /// <summary>Short name for logs and results, e.g. "cuda (NVIDIA H200, fp32)".</summary>
    string Description { get; }

    /// <summary>Accuracies of chips <paramref name="firstChip"/> … <paramref name="firstChip"/> + <paramref name="count"/> − 1, in chip order.</summary>
    double[] EvaluateChips(TestSet data, int firstChip, int count, IProgress<MonteCarloProgress>? progress, CancellationToken cancellationToken);
}
