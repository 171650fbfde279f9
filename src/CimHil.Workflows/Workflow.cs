namespace CimHil.Workflows;

/// <summary>
/// What a workflow (<see cref="RunPipeline"/>, <see cref="Study"/>) runs with: the configuration, its settings record, its
/// log and its stages, whose start, units and end go to the caller's <see cref="IProgress{T}"/> as <see cref="StageProgress"/>.
/// </summary>
/// <typeparam name="TSettings">The workflow's settings record.</typeparam>
public abstract class Workflow<TSettings>
    where TSettings : class
{
    private protected Workflow(HilConfig config, TSettings settings, ILogger logger, IProgress<StageProgress> progress, bool logStageStart, string stageFinishedTemplate)
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        Log = logger ?? throw new ArgumentNullException(nameof(logger));
        Stages = new StageTimer(progress, logger, logStageStart, stageFinishedTemplate);
    }

    private protected HilConfig Config { get; }

    private protected TSettings Settings { get; }

    private protected ILogger Log { get; }

    private protected StageTimer Stages { get; }

    /// <summary>Where the Monte-Carlo stages' chips run (<c>--device</c> / <c>simulation.device</c>, docs/gpu.md); null: the CPU.</summary>
    public ChipBatchBackendFactory? MonteCarloBackend { get; init; }

    /// <summary>
    /// Where the worst-case stages' search passes run (<c>--device</c>, docs/gpu.md): <see cref="WorstCaseRequest.SearchPasses"/>
    /// of every worst-case stage; null: the CPU's.
    /// </summary>
    public Func<MappedForward, IWorstCasePasses?>? SearchPasses { get; init; }
}
