using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.MonteCarlo;

/// <summary>
/// Chooses where the chips of one Monte-Carlo evaluation run (docs/gpu.md): an <see cref="IChipBatchBackend"/> the caller
/// disposes, or null for the CPU path. The workflows and the worst-case reference take one, so that <c>--device</c> reaches
/// them without the simulation layer knowing the GPU.
/// </summary>
/// <param name="mapped">The mapped network.</param>
/// <param name="variation">The chips' variation.</param>
/// <param name="options">The Monte-Carlo settings.</param>
public delegate IChipBatchBackend? ChipBatchBackendFactory(MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options);
