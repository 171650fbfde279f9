using CimHil.Core.Chip;

namespace CimHil.Core.Safety;

/// <summary>
/// Wraps any chip and checks every operation against <see cref="SafetyLimits"/> before it is passed on,
/// so the limits hold for every driver alike. On any failure of the inner chip it asks for the safe state
/// (sources at 0 V, outputs off) before rethrowing.
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

    /// <summary>Throws <see cref="SafetyLimitException"/> if the pulse exceeds a limit; returns the pulse with its compliance filled in.</summary>
    public ProgramPulse Check(ProgramPulse pulse)
    {
        var op = pulse.Polarity == PulsePolarity.Set ? "SET pulse" : "RESET pulse";
        var maxV = pulse.Polarity == PulsePolarity.Set ? Limits.MaxSetVoltageV : Limits.MaxResetVoltageV;
        RequireFinite(op, "amplitude", pulse.AmplitudeV);
        if (pulse.AmplitudeV < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(pulse), $"{op}: amplitude {pulse.AmplitudeV} V must be positive; the polarity sets the direction");
        }

        Max(op, "|amplitude|", pulse.AmplitudeV, maxV, "V");
        CheckWidth(op, pulse.WidthSeconds);
        if (pulse.GateVoltageV is { } gate)
        {
            RequireFinite(op, "gate voltage", gate);
            Max(op, "|gate voltage|", Math.Abs(gate), Limits.MaxGateVoltageV, "V");
        }

        if (pulse.ComplianceA is { } compliance)
        {
            CheckCompliance(op, compliance);
            return pulse;
        }

        return pulse with { ComplianceA = Limits.MaxComplianceA };
    }

    public void Check(FormingPulse pulse)
    {
        const string op = "forming pulse";
        RequireFinite(op, "amplitude", pulse.AmplitudeV);
        Max(op, "|amplitude|", Math.Abs(pulse.AmplitudeV), Limits.MaxFormVoltageV, "V");
        CheckWidth(op, pulse.WidthSeconds);
        CheckCompliance(op, pulse.ComplianceA);
        if (pulse.GateVoltageV is { } gate)
        {
            RequireFinite(op, "gate voltage", gate);
            Max(op, "|gate voltage|", Math.Abs(gate), Limits.MaxGateVoltageV, "V");
        }
    }

    public void CheckRead(string op, double readVoltageV)
    {
        RequireFinite(op, "read voltage", readVoltageV);

        // 0 V measures no conductance, and every driver reads with a positive bias (conductance = I / V): a negative
        // read voltage would report a negative current as a negative conductance, or reach an instrument as a
        // polarity it was not set up for. Refuse both here, before any driver sees them.
        if (readVoltageV <= 0)
        {
            throw new SafetyLimitException(op, "read voltage", readVoltageV, 0, "V", SafetyRule.Above);
        }

        Max(op, "read voltage", readVoltageV, Limits.MaxReadVoltageV, "V");
    }

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        var checkedPulse = Check(pulse);
        return await Guard(() => _inner.ApplyPulseAsync(cell, checkedPulse, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        Check(pulse);
        return await Guard(() => _inner.FormAsync(cell, pulse, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(cell);
        CheckRead("read", readVoltageV);
        return await Guard(() => _inner.ReadCellAsync(cell, readVoltageV, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        Geometry.Require(block);

        CheckRead("block read", readVoltageV);
        return await Guard(() => _inner.ReadBlockAsync(block, readVoltageV, cancellationToken)).ConfigureAwait(false);
    }

    public async Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        if (!this.Supports(ChipCapabilities.VectorMatrixMultiply))
        {
            throw new CapabilityNotSupportedException(ChipCapabilities.VectorMatrixMultiply, Identity.Model);
        }

        if (rowVoltagesV.Length != Geometry.Rows)
        {
            throw new ArgumentException($"vector-matrix multiply needs {Geometry.Rows} row voltages, got {rowVoltagesV.Length}", nameof(rowVoltagesV));
        }

        var span = rowVoltagesV.Span;
        for (var i = 0; i < span.Length; i++)
        {
            RequireFinite("vector-matrix multiply", $"row {i} voltage", span[i]);
            Max("vector-matrix multiply", $"|row {i} voltage|", Math.Abs(span[i]), Limits.MaxReadVoltageV, "V");
        }

        return await Guard(() => _inner.MultiplyAsync(rowVoltagesV, cancellationToken)).ConfigureAwait(false);
    }

    public Task SafeStateAsync(CancellationToken cancellationToken) => _inner.SafeStateAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _inner.SafeStateAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Dispose must still release the instruments; the driver's own dispose retries the safe state.
        }

        await _inner.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<T> Guard<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ArgumentException and not CellOutOfRangeException)
        {
            // An uncertain pulse keeps its type even when the safe state fails too (the link is likely still down): the
            // caller must be able to record that pulse, and its next read meets the outage (and the safe state) again.
            try
            {
                await _inner.SafeStateAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception safeStateError) when (ex is not UncertainPulseException)
            {
                throw new AggregateException($"{ex.Message}; bringing the chip to its safe state also failed: {safeStateError.Message}", ex, safeStateError);
            }
            catch (Exception)
            {
                // The uncertain pulse is rethrown below as it is; the failed safe state is the same outage.
            }

            throw;
        }
    }

    private void CheckWidth(string op, double widthSeconds)
    {
        RequireFinite(op, "width", widthSeconds);
        Max(op, "width", widthSeconds, Limits.MaxPulseWidthSeconds, "s");
        if (widthSeconds < Limits.MinPulseWidthSeconds)
        {
            throw new SafetyLimitException(op, "width", widthSeconds, Limits.MinPulseWidthSeconds, "s", SafetyRule.Minimum);
        }
    }

    private void CheckCompliance(string op, double complianceA)
    {
        RequireFinite(op, "compliance", complianceA);
        if (complianceA <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(complianceA), $"{op}: compliance {complianceA} A must be positive");
        }

        Max(op, "compliance", complianceA, Limits.MaxComplianceA, "A");
    }

    private static void Max(string op, string quantity, double value, double limit, string unit)
    {
        if (value > limit)
        {
            throw new SafetyLimitException(op, quantity, value, limit, unit);
        }
    }

    private static void RequireFinite(string op, string quantity, double value)
    {
        if (!double.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(quantity, $"{op}: {quantity} {value} is not a finite number");
        }
    }
}
