using CimHil.Simulation.Mapping;
using CimHil.Simulation.WorstCase;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// The worst-case search on the GPU with its state resident there (docs/gpu.md, "The worst-case search on the GPU"): the
/// passes of <see cref="CudaWorstCasePasses"/> (which the polish keeps using) and the descent loop of
/// <see cref="ResidentDescent"/> over <see cref="CudaSearchState"/>, so Δ, the box and Adam's moments stay on the device and
/// only the correct count and the objective come back per step. <see cref="WorstCaseSearch"/> picks the loop up because this
/// pass object is also an <see cref="IWorstCaseDescent"/>.
/// </summary>
public sealed class CudaWorstCaseDescent : IWorstCasePasses, IWorstCaseDescent, IDisposable
{
    /// <summary>
    /// Environment variable: <c>host</c> keeps the search loop on the CPU with only the passes on the GPU (the first build; for
    /// comparing the two loops, which should keep bit-identical Δs).
    /// </summary>
    public const string LoopVariable = "CIMHIL_CUDA_WORST_CASE_LOOP";

    private readonly CudaWorstCasePasses _passes;
    private readonly CudaSearchState _state;
    private readonly ResidentDescent _descent;

    private CudaWorstCaseDescent(CudaWorstCasePasses passes, MappedNetwork mapped)
    {
        _passes = passes;
        try
        {
            _state = new CudaSearchState(passes, mapped);
        }
        catch
        {
            passes.Dispose();
            throw;
        }

        _descent = new ResidentDescent(_state);
    }

    /// <summary>True unless <see cref="LoopVariable"/> asks for the host loop.</summary>
    public static bool Enabled => !string.Equals(Environment.GetEnvironmentVariable(LoopVariable), "host", StringComparison.OrdinalIgnoreCase);

    /// <summary>The resident search of <paramref name="forward"/>'s network; throws <see cref="CudaException"/> naming why it cannot run.</summary>
    public static CudaWorstCaseDescent Create(CudaDevice device, MappedForward forward, int chunkImages = CudaWorstCasePasses.DefaultChunkImages)
    {
        ArgumentNullException.ThrowIfNull(forward);
        return new CudaWorstCaseDescent(CudaWorstCasePasses.Create(device, forward, chunkImages), forward.Mapped);
    }

    /// <inheritdoc/>
    public PassOutcome Evaluate(IReadOnlyList<LayerConductances> conductances, double kappa, double upper) => _passes.Evaluate(conductances, kappa, upper);

    /// <inheritdoc/>
    public PassOutcome Gradient(IReadOnlyList<LayerConductances> conductances, double kappa, double upper) => _passes.Gradient(conductances, kappa, upper);

    /// <inheritdoc/>
    public DescentResult Descend(DescentRequest request, CancellationToken cancellationToken) => _descent.Descend(request, cancellationToken);

    public void Dispose()
    {
        _state.Dispose();
        _passes.Dispose();
    }
}
