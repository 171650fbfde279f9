using System.Diagnostics;
using System.Globalization;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using Serilog;

namespace CimHil.Simulation.WorstCase;

/// <summary>What a worst-case evaluation should do: bounds, search, where to save the Δ files and the Monte-Carlo reference.</summary>
public sealed record WorstCaseRequest
{
    /// <summary>Bound multipliers k to evaluate (any order; 0 is the clean chip).</summary>
    public required IReadOnlyList<double> Ks { get; init; }

    /// <summary>The box model.</summary>
    public required DeviceBoundModel Bounds { get; init; }

    /// <summary>Search settings.</summary>
    public WorstCaseOptions Search { get; init; } = WorstCaseOptions.Default;

    /// <summary>Folder for the Δ files "worst-case-k&lt;k&gt;.safetensors"; null: not saved.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Monte-Carlo chips for the reference (0: none).</summary>
    public int MonteCarloChips { get; init; } = 100;

    /// <summary>The k-th percentile reported for the Monte-Carlo reference (e.g. 1 for the 1st percentile).</summary>
    public double MonteCarloPercentile { get; init; } = 1;

    /// <summary>Seed of the Monte-Carlo chips.</summary>
    public long MonteCarloSeed { get; init; } = 1;

    /// <summary>Where the Monte-Carlo reference's chips run (<c>--device</c>, docs/gpu.md); null: the CPU.</summary>
    public ChipBatchBackendFactory? MonteCarloBackend { get; init; }

    /// <summary>
    /// Where the search's gradient and exact passes run (<c>--device</c>, docs/gpu.md): given the CPU's forward, returns
    /// another <see cref="IWorstCasePasses"/> (disposed after the sweep when disposable) or null for the CPU.
    /// </summary>
    public Func<MappedForward, IWorstCasePasses?>? SearchPasses { get; init; }
}

/// <summary>Runs the accuracy-versus-bound sweep, saves each Δ, and adds the Monte-Carlo reference for the same device model.</summary>
public static class WorstCaseEvaluation
{
    /// <summary>File name of the Δ saved for bound <paramref name="k"/>.</summary>
    public static string FileName(double k) => string.Create(CultureInfo.InvariantCulture, $"worst-case-k{k:0.###}.safetensors");

    /// <summary>Maps <paramref name="network"/>, sweeps the bounds and (optionally) runs the Monte-Carlo reference.</summary>
    public static Task<WorstCaseReport> RunAsync(Network network, CimMappingOptions mapping, TestSet data, WorstCaseRequest request, ILogger logger, CancellationToken cancellationToken = default) =>
        RunAsync(network, mapping, data, request, logger, null, null, cancellationToken);

    /// <summary>As the overload without progress, telling <paramref name="progress"/> every step and bound of the sweep and <paramref name="referenceProgress"/> every chip of the Monte-Carlo reference.</summary>
    /// <param name="network">The trained network.</param>
    /// <param name="mapping">How it is mapped to crossbars.</param>
    /// <param name="data">The test images.</param>
    /// <param name="request">Bounds, search and Monte-Carlo reference.</param>
    /// <param name="logger">The log.</param>
    /// <param name="progress">Told every step and bound of the sweep, or null.</param>
    /// <param name="referenceProgress">Told every chip of the Monte-Carlo reference, or null.</param>
    /// <param name="cancellationToken">Stops the sweep between steps and the reference between chips.</param>
    public static async Task<WorstCaseReport> RunAsync(
        Network network, CimMappingOptions mapping, TestSet data, WorstCaseRequest request, ILogger logger,
        IProgress<WorstCaseProgress>? progress, IProgress<MonteCarloProgress>? referenceProgress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(logger);
        var sw = Stopwatch.StartNew();
        var mapped = MappedNetwork.Map(network, mapping, request.Bounds.Window);
        if (mapping.NeedsTiledForward)
        {
            mapped.CalibratePeriphery(data.Batches[0]);
        }

        var forward = new MappedForward(mapped, data);
        var passes = request.SearchPasses?.Invoke(forward);
        using var owned = passes as IDisposable;
        var search = new WorstCaseSearch(forward, request.Bounds, request.Search, logger, passes);
        logger.Information(
            "Worst-case sweep of {Architecture}: {Devices} devices, {Images} images, bound {Bound}, method {Method}, clean accuracy {Clean:P2}",
            network.Architecture, mapped.DeviceCount, data.Count, request.Bounds.Describe(), request.Search.Name, search.CleanAccuracy);

        Func<double, ConductancePerturbation, double, CancellationToken, Task<string?>>? save = null;
        if (request.OutputDirectory is { } dir)
        {
            save = async (k, delta, accuracy, ct) =>
            {
                var path = Path.Combine(dir, FileName(k));
                await delta.SaveAsync(mapped, path, Metadata(network, mapping, request, k, accuracy, data.Count), ct).ConfigureAwait(false);
                return path;
            };
        }

        var points = await search.SweepAsync(request.Ks, save, progress, cancellationToken).ConfigureAwait(false);
        MonteCarloReference? mc = null;
        if (request.MonteCarloChips > 0)
        {
            var mcSw = Stopwatch.StartNew();
            var spec = request.Bounds.MonteCarloSpec;
            var mcOptions = new MonteCarloOptions { Chips = request.MonteCarloChips, Seed = request.MonteCarloSeed, Percentile = request.MonteCarloPercentile };
            using var backend = request.MonteCarloBackend?.Invoke(mapped, spec, mcOptions);
            var evaluator = new MonteCarloEvaluator(mapped, spec, mcOptions, backend);
            var result = await Task.Run(() => evaluator.Run(data, referenceProgress, cancellationToken), cancellationToken).ConfigureAwait(false);
            mc = new MonteCarloReference(request.MonteCarloChips, result.Mean, result.Minimum, result.PercentileK, result.Percentile, spec.Describe(), mcSw.Elapsed.TotalSeconds);
            logger.Information(
                "Monte-Carlo reference ({Chips} chips, {Variation}): mean {Mean:P2}, minimum {Minimum:P2}, {K} % percentile {Percentile:P2}",
                mc.Chips, mc.Variation, mc.Mean, mc.Minimum, mc.PercentileK, mc.Percentile);
        }

        return new WorstCaseReport
        {
            Method = request.Search.Name,
            Bound = request.Bounds.Describe(),
            CleanAccuracy = search.CleanAccuracy,
            Images = data.Count,
            Devices = mapped.DeviceCount,
            Points = [.. points],
            MonteCarlo = mc,
            Seconds = sw.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// Re-applies a saved Δ: maps <paramref name="network"/> the same way, loads the file and evaluates the exact forward.
    /// Returns the accuracy and the "accuracy" recorded in the file's metadata (null if absent).
    /// </summary>
    public static async Task<(double Accuracy, double? Recorded)> VerifyAsync(Network network, CimMappingOptions mapping, DeviceBoundModel bounds, TestSet data, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(bounds);
        var mapped = MappedNetwork.Map(network, mapping, bounds.Window);
        if (mapping.NeedsTiledForward)
        {
            mapped.CalibratePeriphery(data.Batches[0]);
        }

        var (delta, meta) = await ConductancePerturbation.LoadAsync(mapped, path, cancellationToken).ConfigureAwait(false);
        var accuracy = new MappedForward(mapped, data).Accuracy(delta.ApplyTo(mapped));
        double? recorded = meta.TryGetValue("accuracy", out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) ? a : null;
        return (accuracy, recorded);
    }

    private static Dictionary<string, string> Metadata(Network network, CimMappingOptions mapping, WorstCaseRequest request, double k, double accuracy, int images) => new(StringComparer.Ordinal)
    {
        ["architecture"] = network.Architecture,
        ["k"] = k.ToString("R", CultureInfo.InvariantCulture),
        ["accuracy"] = accuracy.ToString("R", CultureInfo.InvariantCulture),
        ["images"] = images.ToString(CultureInfo.InvariantCulture),
        ["bound"] = request.Bounds.Describe(),
        ["method"] = request.Search.Name,
        ["bitsPerDevice"] = mapping.BitsPerDevice.ToString(CultureInfo.InvariantCulture),
        ["scale"] = mapping.Scale.ToString(),
        ["readNoise"] = "off (worst case over programmed conductances)",
    };
}
