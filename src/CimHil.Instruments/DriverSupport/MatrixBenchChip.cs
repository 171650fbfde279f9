using System.Collections.Immutable;
using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Instruments.Switching;
using Serilog;

namespace CimHil.Instruments.DriverSupport;

/// <summary>
/// What the chips of the matrix benches (smu-matrix, b1500) share: one source reaches one cell at a time through a 707B,
/// so there is no vector-matrix multiply and no gate; operations run one at a time through a <see cref="BenchOperationGate"/>;
/// a pulse whose outcome the link lost becomes <see cref="UncertainPulseException"/>. The safe state after a failure is
/// not run here: <c>SafeChip</c>, which wraps every connected chip, runs it once per failure.
/// </summary>
public abstract class MatrixBenchChip : IChip, ISafeStateOnDispose
{
    private readonly string _bench;
    private int _disposed;

    protected MatrixBenchChip(string bench, Keithley707B matrix, MatrixArraySettings array, ChipIdentity identity, SafetyLimits maxima, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(array);
        _bench = bench;
        Maxima = maxima ?? throw new ArgumentNullException(nameof(maxima));
        Router = new MatrixRouter(matrix, array.Wiring, array.Rows, array.Columns);
        Logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Gate = new BenchOperationGate();
        Identity = identity;
        Geometry = new ArrayGeometry(array.Rows, array.Columns);
        Capabilities = array.Technology == DeviceTechnology.Rram ? ChipCapabilities.RequiresForming : ChipCapabilities.None;
    }

    public ChipIdentity Identity { get; }

    public ArrayGeometry Geometry { get; }

    public ChipCapabilities Capabilities { get; }

    public IChipClock Clock => WallClock.Instance;

    /// <summary>The setup's hardware ceilings, checked by the chip itself whatever limits are configured above it.</summary>
    protected SafetyLimits Maxima { get; }

    protected MatrixRouter Router { get; }

    protected BenchOperationGate Gate { get; }

    protected ILogger Logger { get; }

    public abstract Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken);

    public abstract Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken);

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        Maxima.CheckRead("read", readVoltageV);
        var currents = await Gate.RunAsync(ct => ReadCellsAsync([cell], readVoltageV, ct), cancellationToken).ConfigureAwait(false);
        return new ReadResult(cell, readVoltageV, currents[0], Clock.Now);
    }

    /// <summary>Cell by cell, in row-major order: one source reaches one cell at a time.</summary>
    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(block);
        Geometry.Require(block);
        Maxima.CheckRead("block read", readVoltageV);
        var currents = await Gate.RunAsync(ct => ReadCellsAsync([.. block.Cells()], readVoltageV, ct), cancellationToken).ConfigureAwait(false);
        return new BlockReadResult(block, readVoltageV, ImmutableArray.Create(currents), Clock.Now);
    }

    public abstract Task SafeStateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The safe state of a source in front of the matrix: <paramref name="sourceOff"/> first, then every crosspoint open
    /// (never switch a relay with an output on). Both are attempted whatever the first does; a failure names which
    /// instrument did not confirm (<paramref name="source"/>, what <paramref name="offState"/> it should have reached).
    /// </summary>
    protected async Task SourceOffThenOpenMatrixAsync(string source, string resource, string offState, Func<CancellationToken, Task> sourceOff, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sourceOff);
        Exception? sourceError = null;
        try
        {
            await sourceOff(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            sourceError = ex;
        }

        try
        {
            await Router.OpenAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (sourceError is not null && ex is not OperationCanceledException)
        {
            throw new AggregateException($"neither the {source} nor the matrix confirmed the safe state", sourceError, ex);
        }

        if (sourceError is not null)
        {
            throw new InstrumentException(resource, $"{resource}: the {source} did not confirm {offState} ({sourceError.Message}); the matrix is open", sourceError);
        }
    }

    /// <summary>One source cannot drive rows in parallel.</summary>
    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken) =>
        throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, Identity.Model);

    /// <summary>Safe state (a failure is logged, not thrown), then the instruments are closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await SafeStateOnClose.RunAsync(SafeStateAsync, Logger, _bench).ConfigureAwait(false);

        await CloseInstrumentsAsync().ConfigureAwait(false);
        await Router.Matrix.Session.DisposeAsync().ConfigureAwait(false);
        Gate.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads the cells in the given order (the bench is set up for reads once), returning their currents in amperes.</summary>
    protected abstract Task<double[]> ReadCellsAsync(IReadOnlyList<CellAddress> cells, double readVoltageV, CancellationToken cancellationToken);

    /// <summary>Closes the instruments other than the matrix (the base closes that one).</summary>
    protected abstract ValueTask CloseInstrumentsAsync();

    /// <summary>Empties the matrix's error queue and opens every crosspoint: the end of every bench's connect.</summary>
    protected async Task OpenMatrixAsync(CancellationToken cancellationToken)
    {
        await Router.Matrix.ClearErrorsAsync(cancellationToken).ConfigureAwait(false);
        await Router.OpenAllAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a pulse through the gate. If the link failed after the pulse may have left (<see cref="UncertainOutcomeException"/>),
    /// raises <see cref="UncertainPulseException"/> naming <paramref name="operation"/> and when it was sent; neither bench can
    /// tell whether it was applied, so <c>Applied</c> is null and the characterisation reads the cell back.
    /// </summary>
    protected Task<T> PulseAsync<T>(CellAddress cell, string operation, Func<CancellationToken, Task<T>> pulse, CancellationToken cancellationToken) =>
        Gate.RunAsync(
            async ct =>
            {
                var sentAt = Clock.Now;
                try
                {
                    return await pulse(ct).ConfigureAwait(false);
                }
                catch (UncertainOutcomeException ex)
                {
                    throw new UncertainPulseException(cell, operation, null, sentAt, ex);
                }
            },
            cancellationToken);

    /// <summary>What the bench drives instead of a gate, for the refusal of a pulse that asks for one.</summary>
    protected abstract string NoGateReason { get; }

    /// <summary>Before a SET/RESET pulse reaches the bench: the cell exists, no gate is asked for, the setup maxima hold.</summary>
    protected void CheckPulse(CellAddress cell, ProgramPulse pulse)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        RequireNoGate(pulse.GateVoltageV);
        Maxima.Check(pulse);
    }

    /// <summary>The same checks for a forming pulse.</summary>
    protected void CheckPulse(CellAddress cell, FormingPulse pulse)
    {
        ArgumentNullException.ThrowIfNull(pulse);
        Geometry.Require(cell);
        RequireNoGate(pulse.GateVoltageV);
        Maxima.Check(pulse);
    }

    private void RequireNoGate(double? gateV)
    {
        if (gateV is { } g)
        {
            throw new UnsupportedOperationException($"{NoGateReason} and cannot drive a gate: the pulse asks for a gate voltage of {g.ToString("R", CultureInfo.InvariantCulture)} V");
        }
    }
}
