namespace CimHil.Simulation.WorstCase;

/// <summary>
/// One start's projected descent, the inner loop of <see cref="WorstCaseSearch"/> (docs/gpu.md, "The worst-case search on
/// the GPU"): the CPU's loop over host arrays, or a device that keeps Δ, the box and Adam's moments resident and sends back
/// only the correct count and the objective per step. Restarts, the polish, the sweep and the final CPU re-evaluation stay
/// in <see cref="WorstCaseSearch"/>, so both loops feed one piece of code. A pass object that also implements this
/// interface (e.g. the GPU's) is used for the loop as well as for the passes.
/// </summary>
public interface IWorstCaseDescent
{
    /// <summary>
    /// Runs the steps of one start from <see cref="DescentRequest.Start"/> (already inside the box) and writes the start's best
    /// Δ (fewest correct, then lowest objective) into <see cref="DescentRequest.Best"/>.
    /// </summary>
    DescentResult Descend(DescentRequest request, CancellationToken cancellationToken);
}
