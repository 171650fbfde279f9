using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Robustness;

/// <summary>
/// Noise-injection training: every forward pass uses W + ΔW with ΔW freshly drawn from <see cref="Noise"/>; ΔW is a
/// constant (no gradient), so the clean weights receive ∂L/∂W_noisy (straight-through: ∂W_noisy/∂W = I).
/// With <see cref="RightCensoredGaussianNoise"/> this is the training of Yan et al. (ICCAD 2023).
/// </summary>
public sealed class NoiseInjectionTraining(IWeightNoise noise, string name = "noise") : ITrainingMethod
{
    /// <summary>The noise source.</summary>
    public IWeightNoise Noise { get; } = noise ?? throw new ArgumentNullException(nameof(noise));

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public StepOutcome Step(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // The draw comes from the trainer's seeded generator so a run is reproducible.
        var seed = SimulationRng.Derive(batch.Random.NextInt64(), batch.Epoch, batch.Step);
        return StepWithNoise(batch, Noise.Sample(batch.Network, seed));
    }

    /// <summary>Forward with W + <paramref name="noise"/> (per weighted layer), cross-entropy, backward into W.Grad.</summary>
    public static StepOutcome StepWithNoise(TrainingBatch batch, IReadOnlyList<float[]> noise)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return TrainingSteps.ForwardBackward(batch, ForwardContext.Train with { Weights = Overrides(batch.Network, noise) });
    }

    /// <summary>Overrides adding the constant <paramref name="noise"/> to each weighted layer.</summary>
    public static WeightOverrides Overrides(Network network, IReadOnlyList<float[]> noise)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(noise);
        var layers = network.WeightedLayers;
        if (noise.Count != layers.Count)
        {
            throw new ArgumentException($"{noise.Count} noise arrays for {layers.Count} weighted layers.", nameof(noise));
        }

        var overrides = new WeightOverrides();
        for (var i = 0; i < layers.Count; i++)
        {
            if (noise[i].Length != layers[i].Weight.Length)
            {
                throw new ArgumentException($"Layer '{layers[i].Path}': noise of {noise[i].Length} values for {layers[i].Weight.Length} weights.", nameof(noise));
            }

            overrides.Add(layers[i], new Tensor(noise[i], layers[i].Weight.ShapeArray()));
        }

        return overrides;
    }
}
