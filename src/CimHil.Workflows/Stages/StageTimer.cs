using System.Collections.Immutable;
using System.Diagnostics;

namespace CimHil.Workflows;

/// <summary>
/// Runs a workflow's stages one after another: reports each as started (0 of 1) and finished (1 of 1), logs its time and
/// keeps the seconds per stage for the result record.
/// </summary>
internal sealed class StageTimer
{
    private readonly IProgress<StageProgress> _progress;
    private readonly ILogger _log;
    private readonly bool _logStart;
    private readonly string _finishedTemplate;
    private readonly Dictionary<string, double> _seconds = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Stopwatch> _running = new(StringComparer.Ordinal);
    private IProgress<StageProgress>? _stamped;

    /// <param name="progress">Where the stage events go.</param>
    /// <param name="log">The workflow's log.</param>
    /// <param name="logStart">Log "Stage … started" too (run.log has it; study.log only the finish).</param>
    /// <param name="finishedTemplate">Message template of the finish, with {Stage} and {ElapsedSeconds}.</param>
    public StageTimer(IProgress<StageProgress> progress, ILogger log, bool logStart, string finishedTemplate)
    {
        _progress = progress ?? throw new ArgumentNullException(nameof(progress));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _logStart = logStart;
        _finishedTemplate = finishedTemplate;
    }

    /// <summary>
    /// The stages' event sink, for the units a stage reports inside itself. An event without elapsed seconds gets the
    /// running stage's (characterisation and training report none of their own).
    /// </summary>
    public IProgress<StageProgress> Progress => _stamped ??= new SynchronousProgress<StageProgress>(p =>
        _progress.Report(p.ElapsedSeconds == 0 && _running.TryGetValue(p.Stage, out var sw) ? p with { ElapsedSeconds = sw.Elapsed.TotalSeconds } : p));

    /// <summary>Seconds per finished stage.</summary>
    public ImmutableDictionary<string, double> Seconds => _seconds.ToImmutableDictionary();

    /// <summary>Runs stage <paramref name="name"/>.</summary>
    public async Task<T> RunAsync<T>(string name, Func<Task<T>> body)
    {
        var sw = Stopwatch.StartNew();
        _running[name] = sw;
        _progress.Report(new StageProgress(name, 0, 1));
        if (_logStart)
        {
            _log.Information("Stage {Stage} started", name);
        }

        T result;
        try
        {
            result = await body();
        }
        finally
        {
            _running.TryRemove(name, out _);
        }

        _seconds[name] = sw.Elapsed.TotalSeconds;
        _progress.Report(new StageProgress(name, 1, 1) { ElapsedSeconds = sw.Elapsed.TotalSeconds });
        _log.Information(_finishedTemplate, name, sw.Elapsed.TotalSeconds);
        return result;
    }

    /// <summary>Turns the trainer's per-step progress into events of stage <paramref name="stage"/> (epochs as units).</summary>
    public IProgress<Simulation.Training.TrainingProgress> Training(string stage) =>
        new SynchronousProgress<Simulation.Training.TrainingProgress>(p =>
            Progress.Report(new StageProgress(stage, p.Epoch - 1 + ((double)p.Step / p.StepsPerEpoch), p.Epochs, $"epoch {p.Epoch}/{p.Epochs}")));
}
