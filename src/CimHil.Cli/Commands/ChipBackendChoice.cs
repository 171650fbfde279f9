using CimHil.Core.Config;
using CimHil.Simulation.Cuda;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using Serilog;

namespace CimHil.Cli.Commands;

/// <summary>
/// The device of one command that runs several Monte-Carlo evaluations and worst-case searches (<c>worst-case</c>, <c>run</c>,
/// <c>study</c>; docs/gpu.md): the GPU is opened once, when the command starts, so a missing one is reported before any work (cuda: the
/// same usage or configuration error as <c>evaluate</c>; auto: the same one log line, once, shown under --quiet too) and
/// every evaluation shares it.
/// </summary>
internal sealed class ChipBackendChoice : IDisposable
{
    private readonly ComputeDevice _device;
    private readonly Func<string, Exception> _refuse;
    private readonly ILogger _logger;
    private readonly HashSet<string> _fallbacksLogged = new(StringComparer.Ordinal);
    private readonly CudaDevice? _gpu;
    private readonly HashSet<string> _searchFallbacksLogged = new(StringComparer.Ordinal);
    private readonly CudaSampler _sampler;

    private ChipBackendChoice(ComputeDevice device, Func<string, Exception> refuse, ILogger logger, Func<CudaMathMode, CudaDevice> open, CudaMathMode mode, CudaSampler sampler)
    {
        _device = device;
        _sampler = sampler;
        _refuse = refuse;
        _logger = logger;
        if (device == ComputeDevice.Cpu)
        {
            return;
        }

        try
        {
            _gpu = open(mode);
            _logger.Information("Monte-Carlo on the GPU: {Device}; libraries {Libraries}", _gpu.Describe(), _gpu.Libraries);
        }
        catch (CudaException ex)
        {
            Fallback(ex.Message);
        }
    }

    /// <summary>What was asked for.</summary>
    public ComputeDevice Device => _device;

    /// <summary>
    /// Resolves <c>--device</c> / <c>simulation.device</c> and opens the GPU when one is asked for; throws the usage
    /// (flag) or configuration (config key) error when cuda was asked for and cannot run.
    /// </summary>
    public static ChipBackendChoice Open(SimulationDeviceOptions options, System.CommandLine.ParseResult parse, HilConfig config, ILogger logger, Func<CudaMathMode, CudaDevice>? open = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(logger);
        var (device, fromFlag) = options.Requested(parse, config);
        return new ChipBackendChoice(device, SimulationDeviceOptions.Refusal(fromFlag, config), logger, open ?? (m => CudaDevice.Open(m)), options.MathMode(parse), options.SamplerChoice(parse));
    }

    /// <summary>The factory the workflows and the worst-case reference call for each Monte-Carlo evaluation.</summary>
    public ChipBatchBackendFactory Factory => Backend;

    /// <summary>
    /// The worst-case search's passes on the GPU (docs/gpu.md) when one is open and the network runs there; else null: the
    /// CPU's, with one warning naming why when a GPU was asked for (the search never refuses: the CPU gives the same search),
    /// once per reason however many searches the command runs (a study runs one per method, model and seed).
    /// </summary>
    public IWorstCasePasses? SearchPasses(MappedForward forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (_gpu is null)
        {
            return null;
        }

        var unsupported = CudaWorstCasePasses.Unsupported(forward.Mapped);
        if (unsupported is not null)
        {
            if (_searchFallbacksLogged.Add(unsupported))
            {
                _logger.ForContext(CliServices.ShownWhenQuietProperty, true).Warning("device {Device}: the worst-case search runs on the CPU: {Reason}", _device.ToString().ToLowerInvariant(), unsupported);
            }

            return null;
        }

        _logger.Information("Worst-case search passes on the GPU: {Device}", _gpu.Describe());
        if (!CudaWorstCaseDescent.Enabled)
        {
            _logger.Information("Worst-case search loop on the CPU ({Variable}=host)", CudaWorstCaseDescent.LoopVariable);
            return CudaWorstCasePasses.Create(_gpu, forward);
        }

        _logger.Information("Worst-case search loop on the GPU: Δ, box and Adam moments resident, scalars back per step");
        return CudaWorstCaseDescent.Create(_gpu, forward);
    }

    public void Dispose() => _gpu?.Dispose();

    private IChipBatchBackend? Backend(MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options)
    {
        if (_gpu is null)
        {
            return null;
        }

        var unsupported = CudaMonteCarlo.Unsupported(mapped);
        if (unsupported is not null)
        {
            Fallback(unsupported);
            return null;
        }

        return CudaMonteCarlo.Create(_gpu, mapped, variation, options, ownsDevice: false, _sampler);
    }

    private void Fallback(string reason)
    {
        if (_device == ComputeDevice.Cuda)
        {
            throw _refuse($"--device cuda: {reason}");
        }

        // The same line as evaluate's (CudaBackendSelection), once per reason however many evaluations the command runs.
        if (_fallbacksLogged.Add(reason))
        {
            _logger.ForContext(CliServices.ShownWhenQuietProperty, true).Warning("device auto: running on the CPU: {Reason}", reason);
        }
    }
}
