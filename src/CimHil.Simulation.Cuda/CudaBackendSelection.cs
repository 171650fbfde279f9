using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using Serilog;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// Turns <c>--device</c> / <c>simulation.device</c> into a backend (docs/gpu.md): cpu → none; cuda → the GPU or a
/// <see cref="CudaException"/> naming what is missing; auto → the GPU when it can run this network, else the CPU with one
/// log line that names what was missing.
/// </summary>
public static class CudaBackendSelection
{
    /// <summary>The GPU backend, or null for the CPU.</summary>
    /// <param name="device">What was asked for.</param>
    /// <param name="mode">cuBLAS math mode.</param>
    /// <param name="mapped">The mapped network.</param>
    /// <param name="variation">The chips' variation.</param>
    /// <param name="options">The Monte-Carlo settings.</param>
    /// <param name="logger">Receives the fallback line (auto) or the device line.</param>
    /// <param name="open">Opens the device (tests replace it); default <see cref="CudaDevice.Open"/>.</param>
    /// <param name="sampler">Where the chips are drawn; null: <see cref="DeviceSampler.Requested"/>.</param>
    public static IChipBatchBackend? Select(
        ComputeDevice device, CudaMathMode mode, MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options, ILogger logger, Func<CudaMathMode, CudaDevice>? open = null, CudaSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        ArgumentNullException.ThrowIfNull(logger);
        if (device == ComputeDevice.Cpu)
        {
            return null;
        }

        var unsupported = CudaMonteCarlo.Unsupported(mapped);
        if (unsupported is not null)
        {
            return Fallback(device, unsupported, logger);
        }

        CudaDevice gpu;
        try
        {
            gpu = (open ?? (m => CudaDevice.Open(m)))(mode);
        }
        catch (CudaException ex)
        {
            return Fallback(device, ex.Message, logger);
        }

        logger.Information("Monte-Carlo on the GPU: {Device}; libraries {Libraries}", gpu.Describe(), gpu.Libraries);
        return CudaMonteCarlo.Create(gpu, mapped, variation, options, ownsDevice: true, sampler);
    }

    private static IChipBatchBackend? Fallback(ComputeDevice device, string reason, ILogger logger)
    {
        if (device == ComputeDevice.Cuda)
        {
            throw new CudaException($"--device cuda: {reason}");
        }

        // A warning, so the console shows it at the default level: the user asked for a GPU if there was one.
        logger.Warning("device auto: running on the CPU: {Reason}", reason);
        return null;
    }
}
