using System.Diagnostics;
using CimHil.Simulation.Cuda.Converters;
using CimHil.Simulation.Cuda.Graph;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// The Monte-Carlo chips on the GPU (docs/gpu.md): chips are programmed and their effective weights drawn on the CPU from
/// the same streams as <see cref="MonteCarloEvaluator"/>'s CPU path (chip c from (seed, c), read noise from (seed, c, batch)),
/// uploaded a launch's worth at a time, and evaluated many per launch over the resident test set; the next launch's weights are
/// drawn while the GPU runs the current one. Networks InferencePlan compiles run on <see cref="BatchedForward"/>, every other
/// network (BatchNorm, residual blocks, imported ONNX graphs) on <see cref="GraphForward"/>; InferencePlan chains with DAC/ADC
/// converters on <see cref="TiledForward"/> (the tiled crossbar forward, per-slice weights).
/// </summary>
public sealed class CudaMonteCarlo : IChipBatchBackend
{
    /// <summary>Overrides the chips per launch (benchmarks); otherwise chosen from free device memory.</summary>
    public const string ChipsPerLaunchVariable = "CIMHIL_CUDA_CHIPS_PER_LAUNCH";

    /// <summary>The environment variable that picks the sampler when no flag does: "host", else the device (docs/gpu.md).</summary>
    public const string SamplerVariable = DeviceSampler.Variable;

    /// <summary>Images per chunk when read noise does not force one chunk per inference batch.</summary>
    public const int DefaultChunkImages = 2500;

    private const long MaxWorkspaceBytes = 24L << 30;
    private readonly CudaDevice _device;
    private readonly InferencePlan? _plan;
    private readonly GraphPlan? _graph;
    private readonly ConverterTiling? _tiling;
    private ResidentTestSet? _data;
    private IBatchedForward? _forward;

    private readonly bool _ownsDevice;
    private readonly DeviceSampler? _sampler;

    private CudaMonteCarlo(CudaDevice device, bool ownsDevice, MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options, InferencePlan? plan, GraphPlan? graph, ConverterTiling? tiling, CudaSampler sampler)
    {
        _tiling = tiling;
        _device = device;
        if (sampler == CudaSampler.Device)
        {
            _sampler = DeviceSampler.TryCreate(device, mapped, variation);
            SamplerNote = _sampler is null ? $"host ({DeviceSampler.Unsupported(mapped, variation)})" : "device";
        }

        _ownsDevice = ownsDevice;
        Mapped = mapped;
        Variation = variation;
        Options = options;
        _plan = plan;
        _graph = graph;
    }

    /// <inheritdoc/>
    public string Description => $"cuda ({_device.Name}, {_device.MathMode.ToString().ToLowerInvariant()}, sampler {SamplerNote})";

    /// <summary>Where the chips' weights are drawn: "host", "device", or "host (why the device cannot)".</summary>
    public string SamplerNote { get; } = "host";

    /// <summary>The mapped network.</summary>
    public MappedNetwork Mapped { get; }

    /// <summary>The variation of every chip.</summary>
    public VariationSpec Variation { get; }

    /// <summary>The Monte-Carlo settings (seed, inference batch size).</summary>
    public MonteCarloOptions Options { get; }

    /// <summary>The sampler <see cref="SamplerVariable"/> asks for: the device unless it says host.</summary>
    public static CudaSampler RequestedSampler => DeviceSampler.Requested();

    /// <summary>Chips per launch of the last run.</summary>
    public int ChipsPerLaunch => _forward?.Groups ?? 0;

    /// <summary>Why <paramref name="mapped"/> cannot run on the GPU, or null when it can.</summary>
    public static string? Unsupported(MappedNetwork mapped)
    {
        ArgumentNullException.ThrowIfNull(mapped);
        if (mapped.Options.NeedsTiledForward)
        {
            return ConverterTiling.Unsupported(mapped);
        }

        return InferencePlan.TryCompile(mapped.Network) is null ? GraphPlan.Unsupported(mapped) : null;
    }

    /// <summary>
    /// The GPU backend for <paramref name="mapped"/>; throws <see cref="CudaException"/> naming why it cannot run there. It
    /// disposes <paramref name="device"/> with itself when <paramref name="ownsDevice"/>.
    /// </summary>
    /// <param name="sampler">Where the chips' weights are drawn; null: <see cref="RequestedSampler"/> (the device unless <see cref="SamplerVariable"/> says host).</param>
    public static CudaMonteCarlo Create(CudaDevice device, MappedNetwork mapped, VariationSpec variation, MonteCarloOptions options, bool ownsDevice = false, CudaSampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(variation);
        ArgumentNullException.ThrowIfNull(options);
        var why = Unsupported(mapped);
        if (why is not null)
        {
            throw new CudaException(why);
        }

        var plan = InferencePlan.TryCompile(mapped.Network);
        var tiling = mapped.Options.NeedsTiledForward ? ConverterTiling.Of(mapped) : null;
        return new CudaMonteCarlo(device, ownsDevice, mapped, variation, options, plan, plan is null ? GraphPlan.Build(mapped) : null, tiling, sampler ?? DeviceSampler.Requested());
    }

    /// <inheritdoc/>
    public double[] EvaluateChips(TestSet data, int firstChip, int count, IProgress<MonteCarloProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(firstChip);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var accuracies = new double[count];
        if (count == 0)
        {
            return accuracies;
        }

        _device.MakeCurrent();
        var sw = Stopwatch.StartNew();
        var perBatch = SimulatedChip.Program(Mapped, Variation, Options.Seed, firstChip).VariesPerBatch;
        Prepare(data, perBatch, count);
        var forward = _forward!;
        var groups = forward.Groups;
        var counts = new int[groups];
        var done = 0;
        var profile = PhaseProfile.Enabled ? new PhaseProfile() : null;

        // Double-buffered host weights: the next launch's chips are drawn while the GPU runs this one.
        Task<ILaunchWeights> Draw(int first, int size) => Task.Run(
            () =>
            {
                var t = Stopwatch.GetTimestamp();
                ILaunchWeights w = _tiling is not null
                    ? ChipSliceWeights.Program(Mapped, Variation, Options.Seed, first, size)
                    : ChipWeights.Program(Mapped, Variation, Options.Seed, first, size);
                profile?.Add("host: program chips (overlapped)", t);
                if (!perBatch)
                {
                    t = Stopwatch.GetTimestamp();
                    w.Draw(0);
                    profile?.Add("host: effective weights (overlapped)", t);
                }

                return w;
            },
            cancellationToken);
        var end = firstChip + count;

        // The device sampler (no read noise by construction) draws each launch's chips on the GPU: no host work to overlap.
        var next = _sampler is null ? Draw(firstChip, Math.Min(count, groups)) : null;
        for (var first = firstChip; first < end;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ILaunchWeights? chips = null;
            var size = Math.Min(groups, end - first);
            if (next is not null)
            {
                var waited = Stopwatch.GetTimestamp();
                chips = next.GetAwaiter().GetResult();
                profile?.Add("wait for the host's weights", waited);
                if (first + size < end)
                {
                    next = Draw(first + size, Math.Min(groups, end - first - size));
                }
            }

            _device.MakeCurrent();
            forward.ResetCounts();
            if (!perBatch)
            {
                var t = Stopwatch.GetTimestamp();
                if (chips is null)
                {
                    _sampler!.Sample(forward, Options.Seed, first, size);
                    if (profile is not null)
                    {
                        _device.Synchronize();
                        profile.Add("gpu: sample the chips' weights", t);
                    }
                }
                else
                {
                    chips.Upload(forward);
                    profile?.Add("upload weights", t);
                }

                for (var start = 0; start < data.Count; start += forward.Chunk)
                {
                    forward.Run(_data!, start, Math.Min(forward.Chunk, data.Count - start), size, profile);
                }
            }
            else
            {
                // Read noise: fresh weights per inference batch, drawn from (seed, chip, batch) as on the CPU.
                var start = 0;
                for (var b = 0; b < data.Batches.Count; b++)
                {
                    var t = Stopwatch.GetTimestamp();
                    chips!.Draw(b);
                    profile?.Add("host: read-noise weights (not overlapped)", t);
                    t = Stopwatch.GetTimestamp();
                    chips.Upload(forward);
                    profile?.Add("upload weights", t);
                    var n = data.Batches[b].Dim(0);
                    forward.Run(_data!, start, n, size, profile);
                    start += n;
                }
            }

            var downloaded = Stopwatch.GetTimestamp();
            forward.Correct.Download<int>(counts);
            profile?.Add("gpu: rest + download counts", downloaded);
            for (var i = 0; i < size; i++)
            {
                var index = first - firstChip + i;
                accuracies[index] = (double)counts[i] / data.Count;
                progress?.Report(new MonteCarloProgress(++done, count, first + i, accuracies[index], sw.Elapsed.TotalSeconds));
            }

            first += size;
        }

        if (profile is not null)
        {
            Console.Error.Write(profile.Report($"{count} chips, {groups} per launch, chunk {forward.Chunk}", sw.Elapsed.TotalSeconds));
        }

        return accuracies;
    }

    /// <summary>
    /// Draws chips <paramref name="firstChip"/> … + <paramref name="count"/> − 1 with the device sampler, downloads them and
    /// compares them with the host's (<see cref="SimulatedChip.Program"/>, <see cref="SimulatedChip.EffectiveWeights"/>) float
    /// by float: how many weights differ and by at most how many ulps (`gpu check`). Null when the device sampler is not in use.
    /// </summary>
    public SamplerAgreement? CompareSampler(TestSet data, int firstChip, int count)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (_sampler is null)
        {
            return null;
        }

        _device.MakeCurrent();
        Prepare(data, false, count);
        var forward = _forward!;
        long weights = 0, differing = 0, maxUlps = 0;
        string? firstDifference = null;
        for (var first = firstChip; first < firstChip + count; first += forward.Groups)
        {
            var size = Math.Min(forward.Groups, firstChip + count - first);
            _sampler.Sample(forward, Options.Seed, first, size);
            var host = ChipWeights.Program(Mapped, Variation, Options.Seed, first, size);
            host.Draw(0);
            for (var l = 0; l < Mapped.Layers.Count; l++)
            {
                var expected = host.Layer(l);
                var actual = new float[expected.Length];
                forward.Weights(l).Download<float>(actual);
                for (var i = 0; i < actual.Length; i++)
                {
                    var ulps = Math.Abs((long)BitConverter.SingleToInt32Bits(actual[i]) - BitConverter.SingleToInt32Bits(expected[i]));
                    if (ulps != 0 && firstDifference is null)
                    {
                        var (chip, index) = Math.DivRem(i, actual.Length / size);
                        firstDifference = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"chip {first + chip}, layer {l}, weight {index}: device {actual[i]:R}, host {expected[i]:R}");
                    }

                    differing += ulps != 0 ? 1 : 0;
                    maxUlps = Math.Max(maxUlps, ulps);
                }

                weights += actual.Length;
            }
        }

        return new SamplerAgreement(count, weights, differing, maxUlps, firstDifference);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _sampler?.Dispose();
        _forward?.Dispose();
        _data?.Dispose();
        if (_ownsDevice)
        {
            _device.Dispose();
        }
    }

    private void Prepare(TestSet data, bool perBatch, int count)
    {
        if (_data is null || !ReferenceEquals(_data.Source, data))
        {
            _data?.Dispose();
            _data = new ResidentTestSet(data);
        }

        var chunk = perBatch ? data.Batches.Max(b => b.Dim(0)) : Math.Min(DefaultChunkImages, data.Count);
        var perChip = (_tiling is not null ? TiledForward.BytesPerChipImage(_plan!) : _plan is not null ? BatchedForward.BytesPerChipImage(_plan) : _graph!.BytesPerChipImage) * chunk;
        var free = _device.Memory().Free;
        var budget = Math.Min(MaxWorkspaceBytes, free / 2);
        var groups = (int)Math.Clamp(budget / Math.Max(1, perChip), 1, 4096);
        if (int.TryParse(Environment.GetEnvironmentVariable(ChipsPerLaunchVariable), out var forced) && forced > 0)
        {
            groups = forced;
        }

        groups = Math.Min(groups, count);
        if (_forward is null || _forward.Groups < groups || _forward.Chunk < chunk)
        {
            _forward?.Dispose();
            _forward = _tiling is not null ? new TiledForward(_device, _plan!, _tiling, groups, chunk)
                : _plan is not null ? new BatchedForward(_device, _plan, groups, chunk)
                : new GraphForward(_device, Mapped, _graph!, groups, chunk);
        }
    }
}
