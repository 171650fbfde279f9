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
/// </summary>
public sealed class BenchOperator
{
    private readonly BenchServerOptions _options;
    private readonly EventHub _hub;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private string? _holder;
    private OperationState? _current;
    private OperationContext? _context;
    private CancellationTokenSource? _cancel;
    private Task _running = Task.CompletedTask;
    private int _sequence;

    public BenchOperator(BenchServerOptions options, EventHub hub, ILogger log)
    {
        _options = options;
        _hub = hub;
        _log = log;
    }

    /// <summary>The last workflow started (running or ended), or null.</summary>
    public OperationState? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Completes when no workflow runs.</summary>
    public Task Idle
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="job"/> in the background holding the chip (connected first when <paramref name="needsChip"/>).
    /// Throws <see cref="ChipBusyException"/> when another operation holds it.
    /// </summary>
    public OperationState Start(string kind, string? run, bool needsChip, Func<OperationContext, Task<object>> job)
    {
        var description = run is null ? kind : $"{kind} of run {run}";
        Acquire(description);
        var id = $"op-{Interlocked.Increment(ref _sequence)}-{kind}";
        var state = new OperationState { Id = id, Kind = kind, Status = OperationStatus.Running, Run = run, StartedUtc = DateTimeOffset.UtcNow };
        var cancel = new CancellationTokenSource();
        lock (_gate)
        {
            _current = state;
            _cancel = cancel;
            _context = null;
        }

        _hub.ClearHistory();
        Announce(state);
        var task = Task.Run(() => RunAsync(state, needsChip, cancel, job));
        lock (_gate)
        {
            _running = task;
        }

        return state;
    }

    /// <summary>
    /// Asks the running workflow to stop. A characterisation ends at its next commit (within
    /// <see cref="BenchServerOptions.StopGraceSeconds"/>, else the operation in flight is cancelled); anything else is
    /// cancelled at once. Either way the chip is then brought to its safe state and the run folder stays resumable.
    /// </summary>
    public OperationState Stop()
    {
        lock (_gate)
        {
            if (_current is not { Status: OperationStatus.Running } running || _cancel is null)
            {
                throw new NoOperationException(_current is null ? "nothing has been started" : $"{_current.Id} is {_current.Status.ToString().ToLowerInvariant()}");
            }

            _current = running with { Status = OperationStatus.Stopping };
            if (_context is { StopsAtCommit: true } context)
            {
                context.StopRequested = true;
                _cancel.CancelAfter(TimeSpan.FromSeconds(_options.StopGraceSeconds));
            }
            else
            {
                if (_context is not null)
                {
                    _context.StopRequested = true;
                }

                _cancel.Cancel();
            }

            Announce(_current);
            return _current;
        }
    }

    /// <summary>A short chip operation (a read, one pulse) holding the chip for its duration; refused while another holds it.</summary>
    public async Task<T> RunShortAsync<T>(string what, Func<SafeChip, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        Acquire(what);
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
            Release();
        }
    }

    private void Acquire(string requested)
    {
        lock (_gate)
        {
            if (_holder is not null)
            {
                throw new ChipBusyException(requested, _holder);
            }

            _holder = requested;
        }
    }

    private void Release()
    {
        lock (_gate)
        {
            _holder = null;
        }
    }

    private async Task RunAsync(OperationState state, bool needsChip, CancellationTokenSource cancel, Func<OperationContext, Task<object>> job)
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

            var context = new OperationContext(state.Id, chip, opLog, cancel, (type, data) => _hub.Publish(type, data, state.Id));
            lock (_gate)
            {
                _context = context;
                if (_current?.Status == OperationStatus.Stopping)
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
            _current = ended;
            _context = null;
            _cancel = null;
        }

        cancel.Dispose();
        opLog.Dispose();
        Release();
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
}
