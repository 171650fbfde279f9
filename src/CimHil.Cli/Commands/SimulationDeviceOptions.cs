using System.CommandLine;
using CimHil.Core.Config;
using CimHil.Simulation.Cuda;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;
using Serilog;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>--device cpu|cuda|auto</c>, <c>--gpu-math fp32|tf32</c> and <c>--gpu-sampler device|host</c> of the Monte-Carlo commands, with <c>simulation.device</c>
/// of hil-config.json as the default (else cpu). A flag that cannot be honoured is a usage error (exit 2), a config value a
/// configuration error (exit 3) naming its JSON path (docs/gpu.md).
/// </summary>
internal sealed class SimulationDeviceOptions
{
    /// <summary>The hil-config.json key under "simulation".</summary>
    public const string ConfigKey = "device";

    public Option<string?> Device { get; } = new("--device")
    {
        Description = $"Where the Monte-Carlo chips run: {ComputeDeviceNames.Accepted} (default: simulation.device of the config, else cpu; docs/gpu.md)",
    };

    public Option<string> Math { get; } = new("--gpu-math")
    {
        Description = "GPU products: fp32 (CUBLAS_DEFAULT_MATH) or tf32 (tensor cores, TF32 inputs); docs/gpu.md",
        DefaultValueFactory = _ => "fp32",
    };

    public Option<string?> Sampler { get; } = CreateSamplerOption();

    public void AddTo(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(Math);
        command.Options.Add(Sampler);
    }

    /// <summary>Where the GPU draws its chips: the flag, else CIMHIL_CUDA_SAMPLER, else the device (docs/gpu.md).</summary>
    public CudaSampler SamplerChoice(ParseResult parse) => parse.GetValue(Sampler) switch
    {
        null => CudaMonteCarlo.RequestedSampler,
        "device" => CudaSampler.Device,
        _ => CudaSampler.Host,
    };

    private static Option<string?> CreateSamplerOption()
    {
        var option = new Option<string?>("--gpu-sampler")
        {
            Description = $"Where the GPU's chips are drawn: device (Kernels/sampler.cu, the plain Gaussian weight model; other models are drawn on the host) or host (SimulatedChip on the CPU, uploaded); default: {CudaMonteCarlo.SamplerVariable}, else device (docs/gpu.md)",
        };
        option.AcceptOnlyFromAmong("device", "host");
        return option;
    }

    /// <summary>The device asked for, and whether it came from the flag (else the config).</summary>
    public (ComputeDevice Device, bool FromFlag) Requested(ParseResult parse, HilConfig config)
    {
        var flag = parse.GetValue(Device);
        if (flag is not null)
        {
            return (ComputeDeviceNames.TryParse(flag) ?? throw new CliUsageException($"--device {flag}: expected {ComputeDeviceNames.Accepted}"), true);
        }

        var section = config.Section("simulation");
        var text = section.OptionalString(ConfigKey);
        if (text is null)
        {
            return (ComputeDevice.Cpu, false);
        }

        return (ComputeDeviceNames.TryParse(text) ?? throw section.Error(ConfigKey, $"'{text}': expected {ComputeDeviceNames.Accepted}"), false);
    }

    public CudaMathMode MathMode(ParseResult parse) => parse.GetValue(Math)?.Trim().ToLowerInvariant() switch
    {
        "fp32" => CudaMathMode.Fp32,
        "tf32" => CudaMathMode.Tf32,
        var other => throw new CliUsageException($"--gpu-math {other}: expected fp32 or tf32"),
    };

    /// <summary>The GPU backend, or null for the CPU (auto without a usable GPU logs one line saying what was missing).</summary>
    public IChipBatchBackend? Backend(ParseResult parse, HilConfig config, MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options, ILogger logger)
    {
        var (device, fromFlag) = Requested(parse, config);
        var mode = MathMode(parse);
        try
        {
            // Its one fallback line is a warning that --quiet does not hide (CliServices.ShownWhenQuietProperty).
            return CudaBackendSelection.Select(device, mode, mapped, variation, options, logger.ForContext(CliServices.ShownWhenQuietProperty, true), sampler: SamplerChoice(parse));
        }
        catch (CudaException ex)
        {
            throw Refusal(fromFlag, config)(ex.Message);
        }
    }

    /// <summary>
    /// The error for "cuda was asked for and cannot run": a usage error when the flag asked (exit 2), else a configuration
    /// error naming simulation.device (exit 3).
    /// </summary>
    public static Func<string, Exception> Refusal(bool fromFlag, HilConfig config) => fromFlag
        ? message => new CliUsageException(message)
        : message => config.Section("simulation").Error(ConfigKey, message.Replace("--device cuda: ", "cuda: ", StringComparison.Ordinal));
}
