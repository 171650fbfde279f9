using System.Collections.Immutable;
using CimHil.Core.Chip;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// A deterministic chip for wire tests: the current of cell (r, c) at V volts is (r·1000 + c + 1)·1 nA·V, so every value
/// on the wire can be checked exactly. Counts pulses independently of the server.
/// </summary>
internal sealed class TestChip(int rows = 8, int columns = 8) : IChip
{
    private long _pulses;

    public ChipIdentity Identity { get; } = new("CimHil", "Test chip", "T-0001", "test-1", DeviceTechnology.Rram);

    public ArrayGeometry Geometry { get; } = new(rows, columns);

    public ChipCapabilities Capabilities => ChipCapabilities.VectorMatrixMultiply | ChipCapabilities.VirtualClock;

    public VirtualClock VirtualClock { get; } = new(VirtualClock.DefaultEpoch);

    public IChipClock Clock => VirtualClock;

    public long Pulses => Interlocked.Read(ref _pulses);

    public static double CurrentA(int row, int column, double readVoltageV) => ((row * 1000) + column + 1) * 1e-9 * readVoltageV;

    public Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        Check(cell);
        Interlocked.Increment(ref _pulses);
        return Task.FromResult(new PulseResult(cell, pulse, Clock.Now));
    }

    public Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        Check(cell);
        return Task.FromResult(new FormingResult(cell, pulse, pulse.ComplianceA, true, Clock.Now));
    }

    public Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Check(cell);
        return Task.FromResult(new ReadResult(cell, readVoltageV, CurrentA(cell.Row, cell.Column, readVoltageV), Clock.Now));
    }

    public Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        var currents = block.Cells().Select(c => CurrentA(c.Row, c.Column, readVoltageV)).ToImmutableArray();
        return Task.FromResult(new BlockReadResult(block, readVoltageV, currents, Clock.Now));
    }

    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        var v = rowVoltagesV.ToArray();
        var columns = Enumerable.Range(0, Geometry.Columns).Select(c => v.Select((x, r) => CurrentA(r, c, x)).Sum()).ToImmutableArray();
        return Task.FromResult(new VmmResult([.. v], columns, Clock.Now));
    }

    public Task SafeStateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Check(CellAddress cell)
    {
        if (!Geometry.Contains(cell))
        {
            throw new CellOutOfRangeException($"cell {cell}", Geometry);
        }
    }
}
