using System.Diagnostics;
using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Core.Drivers;

/// <summary>One structured Debug event per chip operation, whatever the driver.</summary>
internal sealed class LoggingChip(IChip inner, ILogger logger) : IChip, IChipDecorator
{
    public IChip Inner => inner;

    private readonly ILogger _log = logger.ForContext<LoggingChip>();

    public ChipIdentity Identity => inner.Identity;

    public ArrayGeometry Geometry => inner.Geometry;

    public ChipCapabilities Capabilities => inner.Capabilities;

    public IChipClock Clock => inner.Clock;

    public async Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var r = await inner.ApplyPulseAsync(cell, pulse, cancellationToken).ConfigureAwait(false);
        _log.Debug("Pulse {Polarity} {AmplitudeV} V {WidthSeconds} s at {Row},{Column} in {ElapsedMs} ms", pulse.Polarity, pulse.AmplitudeV, pulse.WidthSeconds, cell.Row, cell.Column, sw.Elapsed.TotalMilliseconds);
        return r;
    }

    public async Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var r = await inner.FormAsync(cell, pulse, cancellationToken).ConfigureAwait(false);
        _log.Debug("Form {AmplitudeV} V {ComplianceA} A at {Row},{Column}: {CurrentA} A formed={Formed} in {ElapsedMs} ms", pulse.AmplitudeV, pulse.ComplianceA, cell.Row, cell.Column, r.CurrentA, r.Formed, sw.Elapsed.TotalMilliseconds);
        return r;
    }

    public async Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var r = await inner.ReadCellAsync(cell, readVoltageV, cancellationToken).ConfigureAwait(false);
        _log.Debug("Read {Row},{Column} at {ReadVoltageV} V: {CurrentA} A in {ElapsedMs} ms", cell.Row, cell.Column, readVoltageV, r.CurrentA, sw.Elapsed.TotalMilliseconds);
        return r;
    }

    public async Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var r = await inner.ReadBlockAsync(block, readVoltageV, cancellationToken).ConfigureAwait(false);
        _log.Debug("Block read {Block} at {ReadVoltageV} V: {Cells} cells in {ElapsedMs} ms", block.ToString(), readVoltageV, block.CellCount, sw.Elapsed.TotalMilliseconds);
        return r;
    }

    public async Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var r = await inner.MultiplyAsync(rowVoltagesV, cancellationToken).ConfigureAwait(false);
        _log.Debug("VMM over {Rows} rows in {ElapsedMs} ms", rowVoltagesV.Length, sw.Elapsed.TotalMilliseconds);
        return r;
    }

    public Task SafeStateAsync(CancellationToken cancellationToken)
    {
        _log.Debug("Safe state requested");
        return inner.SafeStateAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
