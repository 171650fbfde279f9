using CimHil.Simulation.Mapping;
using CimHil.Simulation.WorstCase;

namespace CimHil.Tests.Shared;

/// <summary>
/// The CPU's worst-case passes through the seam the GPU's plug into (<see cref="IWorstCasePasses"/>, docs/gpu.md), counted;
/// <paramref name="flipGradient"/> turns the search's descent into ascent, to show the passes really steer it.
/// </summary>
internal sealed class CountingPasses(MappedForward inner, bool flipGradient = false) : IWorstCasePasses
{
    public int Gradients { get; private set; }

    public int Evaluations { get; private set; }

    public PassOutcome Evaluate(IReadOnlyList<LayerConductances> conductances, double kappa, double upper)
    {
        Evaluations++;
        return inner.Evaluate(conductances, kappa, upper);
    }

    public PassOutcome Gradient(IReadOnlyList<LayerConductances> conductances, double kappa, double upper)
    {
        Gradients++;
        var outcome = inner.Gradient(conductances, kappa, upper);
        return flipGradient ? outcome with { WeightGradients = outcome.WeightGradients!.Select(g => g.Select(v => -v).ToArray()).ToArray() } : outcome;
    }
}
