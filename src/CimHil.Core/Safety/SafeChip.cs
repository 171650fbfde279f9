using CimHil.Core.Chip;

namespace CimHil.Core.Safety;

/// <summary>
/// Wraps any chip and checks every operation against its <see cref="SafetyLimits"/> before it is passed on, so the
/// limits hold for every driver alike. It is also the one owner of the safe state after a failure: when the inner chip
/// fails (or is cancelled mid-operation) it asks for the safe state (sources at 0 V, outputs off) once, then rethrows.
/// Drivers do not run it themselves, so a failure costs one safe state, not one per layer.
/// </summary>
public sealed class SafeChip : IChip, IChipDecorator
{
    private readonly IChip _inner;

    public SafeChip(IChip inner, SafetyLimits limits)
    {
        _inner = inner;
        Limits = limits;
    }

    public SafetyLimits Limits { get; }

    public IChip Inner => _inner;

    public ChipIdentity Identity => _inner.Identity;

    public ArrayGeometry Geometry => _inner.Geometry;

    public ChipCapabilities Capabilities => _inner.Capabilities;

    public IChipClock Clock => _inner.Clock;

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        var checkedPulse = Limits.Check(pulse);
        return await Guard(() => _inner.ApplyPulseAsync(cell, checkedPulse, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        Limits.Check(pulse);
        return await Guard(() => _inner.FormAsync(cell, pulse, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        Limits.CheckRead("read", readVoltageV);
        return await Guard(() => _inner.ReadCellAsync(cell, readVoltageV, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(block);

        Limits.CheckRead("block read", readVoltageV);
        return await Guard(() => _inner.ReadBlockAsync(block, readVoltageV, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        Limits.CheckMultiply(this, rowVoltagesV.Span);
        return await Guard(() => _inner.MultiplyAsync(rowVoltagesV, cancellationToken)).ConfigureAwait(false);
    }

    public Task SafeStateAsync(CancellationToken cancellationToken) => _inner.SafeStateAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        // A driver that makes its instruments safe in its own dispose gets one safe-state sequence per close: sending it here
        // too put SYST:SAFE (or the SMUs' outputs-off and the matrix opening) on the wire twice (CimHilBoardWireSuite).
        if (!SafeOnItsOwnDispose(_inner))
        {
            try
            {
                await _inner.SafeStateAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Dispose must still release the instruments.
            }
        }

        await _inner.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>True when <paramref name="chip"/> or a chip it decorates declares <see cref="ISafeStateOnDispose"/>.</summary>
    private static bool SafeOnItsOwnDispose(IChip chip)
    {
        for (IChip? c = chip; c is not null; c = (c as IChipDecorator)?.Inner)
        {
            if (c is ISafeStateOnDispose)
            {
                return true;
            }
        }

        return false;
    }

    private async Task<T> Guard<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ArgumentException and not CellOutOfRangeException)
        {
            // Cancellation included: an operation stopped half-way may have left a source on (the SMU set, the matrix
            // routed). Not with the caller's token, which is the one that may have been cancelled.
            try
            {
                await _inner.SafeStateAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception safeStateError) when (ex is not UncertainPulseException and not OperationCanceledException)
            {
                throw new AggregateException($"{ex.Message}; bringing the chip to its safe state also failed: {safeStateError.Message}", ex, safeStateError);
            }
            catch (Exception)
            {
                // An uncertain pulse keeps its type even when the safe state fails too (the link is likely still down):
                // the caller must be able to record that pulse, and its next read meets the outage (and the safe state)
                // again. A cancellation stays a cancellation, so the caller stops rather than reports a bench fault.
            }

            throw;
        }
    }
}
