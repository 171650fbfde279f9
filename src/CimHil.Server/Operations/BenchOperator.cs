using System.Text.Json;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Server.Events;
using CimHil.Workflows;
using Serilog;
using Serilog.Events;

namespace CimHil.Server.Operations;

/// <summary>
/// Holds the chip for one operation at a time: a workflow running in the background or a single read or pulse. A second
/// request while one holds it is refused (<see cref="ChipBusyException"/>), never queued: a queued pulse would land on a
/// chip whose state the caller has not seen. The chip is connected for each operation and released (safe state, the
/// emulator's state saved) when it ends, as each CLI command does.
/// <para>
/// Workflows that need no chip (calibrate, evaluate, worst case, import) run in a second lane of their own, one at a time
/// (each uses every core), so a Monte-Carlo evaluation never blocks the bench and a characterisation never waits for a
/// simulation. Each lane has its current operation; Stop addresses one by id, or the chip's first.
/// </para>
/// </summary>
public sealed class BenchOperator
{
    private readonly BenchServerOptions _options;
    private readonly EventHub _hub;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly Lane _chipLane = new("chip");
    private readonly Lane _computeLane = new("simulation lane");
    private int _sequence;

    public BenchOperator(BenchServerOptions options, EventHub hub, ILogger log)
    {
        _options = options;
        _hub = hub;
        _log = log;
    }

    /// <summary>The last workflow started in either lane (running or ended), or null.</summary>
    public OperationState? Current
    {
        get
        {
            lock (_gate)
            {
                return new[] { _chipLane.Current, _computeLane.Current }.Where(c => c is not null).MaxBy(c => c!.StartedUtc);
            }
        }
    }

    /// <summary>The current (or last) operation of each lane that has had one: the chip's first.</summary>
    public IReadOnlyList<OperationState> Operations
    {
        get
        {
            lock (_gate)
            {
                return [.. new[] { _chipLane.Current, _computeLane.Current }.OfType<OperationState>()];
            }
        }
    }

    /// <summary>Completes when no workflow runs in either lane.</summary>
    public Task Idle
    {
        get
        {
            lock (_gate)
            {
                return Task.WhenAll(_chipLane.Running, _computeLane.Running);
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="job"/> in the background: holding the chip (connected first) when <paramref name="needsChip"/>,
    /// else in the chip-free lane. Throws <see cref="ChipBusyException"/> when another operation holds that lane.
    /// </summary>
    public OperationState Start(string kind, string? run, bool needsChip, Func<OperationContext, Task<object>> job)
    {
        var lane = needsChip ? _chipLane : _computeLane;
        var description = run is null ? kind : $"{kind} of run {run}";
        Acquire(lane, description);
        var id = $"op-{Interlocked.Increment(ref _sequence)}-{kind}";
        var state = new OperationState { Id = id, Kind = kind, Status = OperationStatus.Running, Run = run, StartedUtc = DateTimeOffset.UtcNow };
        var cancel = new CancellationTokenSource();
        bool otherRunning;
        lock (_gate)
        {
            lane.Current = state;
            lane.Cancel = cancel;
            lane.Context = null;
            var other = needsChip ? _computeLane : _chipLane;
            otherRunning = other.Current is { Status: OperationStatus.Running or OperationStatus.Stopping };
        }

        if (!otherRunning)
        {
            // A page connecting later replays only the operations still of interest; not while the other lane runs.
            _hub.ClearHistory();
        }

        Announce(state);
        var task = Task.Run(() => RunAsync(lane, state, needsChip, cancel, job));
        lock (_gate)
        {
            lane.Running = task;
        }

        return state;
    }

    /// <summary>
    /// Asks a running workflow to stop: the one named <paramref name="id"/>, or (null) the chip's, else the chip-free
    /// lane's. A characterisation ends at its next commit (within <see cref="BenchServerOptions.StopGraceSeconds"/>,
    /// else the operation in flight is cancelled); anything else is cancelled at once. Either way the chip is then brought
    /// to its safe state and the run folder stays resumable.
    /// </summary>
    public OperationState Stop(string? id = null)
    {
        lock (_gate)
        {
            var lane = id is null
                ? (_chipLane.Current is { Status: OperationStatus.Running } ? _chipLane : _computeLane)
                : new[] { _chipLane, _computeLane }.FirstOrDefault(l => l.Current?.Id == id)
                    ?? throw new NoOperationException($"no operation {id} (the current ones: {string.Join(", ", Operations.Select(o => o.Id).DefaultIfEmpty("none"))})");
            if (lane.Current is not { Status: OperationStatus.Running } running || lane.Cancel is null)
            {
                var last = Current;
                throw new NoOperationException(lane.Current is null
                    ? (last is null ? "nothing has been started" : $"{last.Id} is {last.Status.ToString().ToLowerInvariant()}")
                    : $"{lane.Current.Id} is {lane.Current.Status.ToString().ToLowerInvariant()}");
            }

            lane.Current = running with { Status = OperationStatus.Stopping };
            if (lane.Context is { StopsAtCommit: true } context)
            {
                context.StopRequested = true;
                lane.Cancel.CancelAfter(TimeSpan.FromSeconds(_options.StopGraceSeconds));
            }
            else
            {
                if (lane.Context is not null)
                {
                    lane.Context.StopRequested = true;
                }

                lane.Cancel.Cancel();
            }

            Announce(lane.Current);
            return lane.Current;
        }
    }

    /// <summary>A short chip operation (a read, one pulse) holding the chip for its duration; refused while another holds it.</summary>
    public async Task<T> RunShortAsync<T>(string what, Func<SafeChip, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        Acquire(_chipLane, what);
        try
        {
            var chip = await ChipConnector.ConnectAsync(_options.Config, _options.Drivers, _log, cancellationToken).ConfigureAwait(false);
            await using (chip.ConfigureAwait(false))
            {
                return await body(chip, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Release(_chipLane);
        }
    }

    private void Acquire(Lane lane, string requested)
    {
        lock (_gate)
        {
            if (lane.Holder is not null)
            {
                throw new ChipBusyException(requested, lane.Holder, lane.Name);
            }

            lane.Holder = requested;
        }
    }

    private void Release(Lane lane)
    {
        lock (_gate)
        {
            lane.Holder = null;
        }
    }

    private async Task RunAsync(Lane lane, OperationState state, bool needsChip, CancellationTokenSource cancel, Func<OperationContext, Task<object>> job)
    {
        var opLog = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .WriteTo.Logger(_log)
            .WriteTo.Sink(new LiveWarningSink(_hub, state.Id), LogEventLevel.Warning)
            .CreateLogger();
        SafeChip? chip = null;
        OperationState ended;
        try
        {
            if (needsChip)
            {
                chip = await ChipConnector.ConnectAsync(_options.Config, _options.Drivers, opLog, cancel.Token).ConfigureAwait(false);
            }

            var context = new OperationContext(state.Id, chip, opLog, cancel, (type, data) => _hub.Publish(type, data, state.Id), _options.CommitHold);
            lock (_gate)
            {
                lane.Context = context;
                if (lane.Current?.Status == OperationStatus.Stopping)
                {
                    // Stop came while connecting: nothing has been applied yet.
                    cancel.Cancel();
                }
            }

            var result = await job(context).ConfigureAwait(false);
            ended = state with
            {
                Status = OperationStatus.Finished,
                Result = JsonSerializer.SerializeToElement(result, result.GetType(), WorkflowJson.Options),
            };
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            ended = state with { Status = OperationStatus.Stopped };
        }
        catch (Exception ex)
        {
            opLog.Error(ex, "Operation {Operation} failed: {Reason}", state.Id, ex.Message);
            if (ex is SafetyLimitException refusal)
            {
                _hub.Publish(BenchEventTypes.SafetyRefusal, SafetyRefusal.Of(refusal), state.Id);
            }
            else if (ex is Characterization.Plans.PlanValidationException plan)
            {
                // A plan the limits or the chip refuse: refused before its first pulse, every violation named.
                _hub.Publish(BenchEventTypes.SafetyRefusal, new ApiError(plan.Message), state.Id);
            }

            ended = state with { Status = OperationStatus.Failed, Error = ex.Message };
        }

        bool? safe = null;
        if (chip is not null)
        {
            safe = await ReleaseChipAsync(chip, opLog).ConfigureAwait(false);
        }

        ended = ended with { FinishedUtc = DateTimeOffset.UtcNow, SafeState = safe };
        lock (_gate)
        {
            lane.Current = ended;
            lane.Context = null;
            lane.Cancel = null;
        }

        cancel.Dispose();
        opLog.Dispose();
        Release(lane);
        Announce(ended);
    }

    /// <summary>0 V and outputs off, confirmed before the chip is let go (its dispose repeats it and saves the emulator's state).</summary>
    private static async Task<bool> ReleaseChipAsync(SafeChip chip, ILogger log)
    {
        var safe = true;
        try
        {
            await chip.SafeStateAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            safe = false;
            log.Error(ex, "The chip did not confirm its safe state: {Reason}", ex.Message);
        }

        await chip.DisposeAsync().ConfigureAwait(false);
        return safe;
    }

    private void Announce(OperationState state)
    {
        _log.Information("Operation {Operation} ({Kind}) is {Status}", state.Id, state.Kind, state.Status);
        _hub.Publish(BenchEventTypes.Operation, state, state.Id);
    }

    /// <summary>One exclusive resource: what holds it, and its current (or last) workflow.</summary>
    private sealed class Lane(string name)
    {
        public string Name { get; } = name;

        public string? Holder { get; set; }

        public OperationState? Current { get; set; }

        public OperationContext? Context { get; set; }

        public CancellationTokenSource? Cancel { get; set; }

        public Task Running { get; set; } = Task.CompletedTask;
    }
}
