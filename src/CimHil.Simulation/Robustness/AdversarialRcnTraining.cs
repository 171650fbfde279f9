using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Training;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using Serilog;

namespace CimHil.Simulation.Robustness;

/// <summary>
/// Adversarial weight-perturbation training combined with right-censored noise, in the spirit of A-TRICE (Yan et al.,
/// arXiv 2312.06137): each step maps the current weights, runs the worst-case search (<see cref="WorstCaseSearch"/>) on the
/// batch inside the device box of multiplier <see cref="K"/>, decodes the worst conductances to ΔW_adv = W_chip − W, adds
/// a right-censored Gaussian draw ΔW_rcn and trains at W + ΔW_adv + ΔW_rcn (straight-through, as
/// <see cref="NoiseInjectionTraining"/>). Cost: one search (Options.GradientPasses batch passes) per step.
/// </summary>
public sealed class AdversarialRcnTraining : ITrainingMethod
{
    private readonly ILogger _logger;

    /// <summary>Worst case in the box of <paramref name="bounds"/> × <paramref name="k"/> under <paramref name="mapping"/>, plus <paramref name="noise"/> (null: none).</summary>
    public AdversarialRcnTraining(DeviceBoundModel bounds, double k, CimMappingOptions mapping, WorstCaseOptions search, IWeightNoise? noise, ILogger logger)
    {
        Bounds = bounds ?? throw new ArgumentNullException(nameof(bounds));
        Mapping = (mapping ?? throw new ArgumentNullException(nameof(mapping))).Validate();
        Search = (search ?? throw new ArgumentNullException(nameof(search))).Validate();
        if (Mapping.NeedsTiledForward)
        {
            throw new ArgumentException("adversarial training maps the weights every step and does not calibrate DAC/ADC ranges; use a mapping without converters", nameof(mapping));
        }

        if (!(k >= 0) || !double.IsFinite(k))
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"bound multiplier k {k} must be a finite number ≥ 0");
        }

        K = k;
        Noise = noise;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Per-device bound σ_i.</summary>
    public DeviceBoundModel Bounds { get; }

    /// <summary>Box multiplier: |Δg_i| ≤ K·σ_i.</summary>
    public double K { get; }

    /// <summary>Mapping used for the search.</summary>
    public CimMappingOptions Mapping { get; }

    /// <summary>Worst-case search settings (keep Steps small: it runs every training step).</summary>
    public WorstCaseOptions Search { get; }

    /// <summary>Random noise added on top of the adversarial perturbation, or null.</summary>
    public IWeightNoise? Noise { get; }

    /// <inheritdoc />
    public string Name => "atrice";

    /// <inheritdoc />
    public StepOutcome Step(TrainingBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var seed = SimulationRng.Derive(batch.Random.NextInt64(), batch.Epoch, batch.Step);
        var delta = AdversarialPerturbation(batch.Network, batch.Input, batch.Labels);
        if (Noise is not null)
        {
            var n = Noise.Sample(batch.Network, seed);
            for (var l = 0; l < delta.Length; l++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(delta[l], n[l], delta[l]);
            }
        }

        return NoiseInjectionTraining.StepWithNoise(batch, delta);
    }

    /// <summary>ΔW_adv = W(worst conductances) − W per weighted layer, found on (input, labels); parameters' Grad are left untouched.</summary>
    public float[][] AdversarialPerturbation(Network network, Engine.Tensor input, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(labels);
        // The search's backward passes must not leave gradients on the parameters (e.g. biases) the trainer will step.
        var parameters = network.Parameters();
        var saved = parameters.Select(p => (p.Grad, p.RequiresGrad)).ToArray();
        try
        {
            foreach (var p in parameters)
            {
                p.Grad = null;
                p.RequiresGrad = false;
            }

            var mapped = MappedNetwork.Map(network, Mapping, Bounds.Window);
            var forward = new MappedForward(mapped, new TestSet(input, labels, input.Dim(0)));
            var run = new WorstCaseSearch(forward, Bounds, Search, _logger).Search(K);
            var worst = run.Delta.ApplyTo(mapped);
            var delta = new float[mapped.Layers.Count][];
            for (var l = 0; l < delta.Length; l++)
            {
                delta[l] = new float[mapped.Layers[l].Targets.WeightCount];
                mapped.Layers[l].Decode(worst[l], delta[l]);
                System.Numerics.Tensors.TensorPrimitives.Subtract(delta[l], network.WeightedLayers[l].Weight.Data, delta[l]);
            }

            return delta;
        }
        finally
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                parameters[i].Grad = saved[i].Grad;
                parameters[i].RequiresGrad = saved[i].RequiresGrad;
            }
        }
    }
}
