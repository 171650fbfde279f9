using System.Collections.Immutable;
using CimHil.Core.Chip;

namespace CimHil.Core.Tests;

/// <summary>A chip that records what reached it; Core cannot reference the emulator (it sits above Core).</summary>
internal sealed class RecordingChip : IChip
{
    public List<string> Operations { get; } = [];

    public int SafeStateCalls { get; private set; }

    public bool FailNextPulse { get; set; }

    /// <summary>Thrown by the next pulse instead of applying it (once).</summary>
    public Exception? NextPulseFailure { get; set; }

    /// <summary>The safe state fails (after being counted), as it does while the link is down.</summary>
    public bool SafeStateFails { get; set; }

    public ChipIdentity Identity { get; } = new("Test", "Recorder", "0", "1", DeviceTechnology.Rram);

    public ArrayGeometry Geometry { get; } = new(4, 4);

    public ChipCapabilities Capabilities { get; init; } = ChipCapabilities.VectorMatrixMultiply;

    public IChipClock Clock { get; } = new VirtualClock(VirtualClock.DefaultEpoch);

    public Task<PulseResult> ApplyPulseAsync(CellAddress cell, ProgramPulse pulse, CancellationToken cancellationToken)
    {
        if (FailNextPulse)
        {
            FailNextPulse = false;
            throw new IOException("link dropped");
        }

        if (NextPulseFailure is { } failure)
        {
            NextPulseFailure = null;
            throw failure;
        }

        Operations.Add($"pulse {cell} {pulse}");
        return Task.FromResult(new PulseResult(cell, pulse, Clock.Now));
    }

    public Task<FormingResult> FormAsync(CellAddress cell, FormingPulse pulse, CancellationToken cancellationToken)
    {
        Operations.Add($"form {cell}");
        return Task.FromResult(new FormingResult(cell, pulse, 1e-5, true, Clock.Now));
    }

    public Task<ReadResult> ReadCellAsync(CellAddress cell, double readVoltageV, CancellationToken cancellationToken)
    {
        Operations.Add($"read {cell}");
        return Task.FromResult(new ReadResult(cell, readVoltageV, readVoltageV * 1e-5, Clock.Now));
    }

    public Task<BlockReadResult> ReadBlockAsync(CellBlock block, double readVoltageV, CancellationToken cancellationToken)
    {
        Operations.Add($"block {block}");
        return Task.FromResult(new BlockReadResult(block, readVoltageV, Enumerable.Repeat(readVoltageV * 1e-5, block.CellCount).ToImmutableArray(), Clock.Now));
    }

    public Task<VmmResult> MultiplyAsync(ReadOnlyMemory<double> rowVoltagesV, CancellationToken cancellationToken)
    {
        Operations.Add("vmm");
        return Task.FromResult(new VmmResult([.. rowVoltagesV.ToArray()], [.. new double[Geometry.Columns]], Clock.Now));
    }

    public Task SafeStateAsync(CancellationToken cancellationToken)
    {
        SafeStateCalls++;
        return SafeStateFails ? Task.FromException(new IOException("safe state: link still down")) : Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
