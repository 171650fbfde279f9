using CimHil.Simulation.Mapping;

namespace CimHil.Simulation.WorstCase;

/// <summary>
/// The two passes over the test set the worst-case search repeats (docs/gpu.md, "The worst-case search on the GPU"): the
/// exact forward and the gradient pass. <see cref="MappedForward"/> is the CPU's; a GPU backend is another, so the search
/// loop (restarts, focus clip, steps, polish) stays one piece of code whichever device computes the passes.
/// </summary>
public interface IWorstCasePasses
{
    /// <summary>Exact forward: correct count, objective Σ clamp(m, −κ, U) and margins, no gradient.</summary>
    PassOutcome Evaluate(IReadOnlyList<LayerConductances> conductances, double kappa, double upper);

    /// <summary>Forward and backward: as <see cref="Evaluate"/> plus ∂objective/∂W per mapped layer, [OutputCount·FanIn] each.</summary>
    PassOutcome Gradient(IReadOnlyList<LayerConductances> conductances, double kappa, double upper);
}
