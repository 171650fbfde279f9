using System.Collections.Immutable;

namespace CimHil.Core.Chip;

// Unit convention for the whole code base: SI base units, named by suffix.
// ...V volts, ...A amperes, ...S siemens, ...Seconds seconds, ...Ohm ohms.
// Display code converts (µS, µA) at the edge; nothing inside stores scaled units.

/// <summary>The memory technology of an array.</summary>
public enum DeviceTechnology
{
    Rram,
    Pcm,
}

/// <summary>Direction of a programming pulse: SET raises conductance, RESET lowers it.</summary>
public enum PulsePolarity
{
    Set,
    Reset,
}

/// <summary>Who the chip is: as reported by the chip or the instrument in front of it.</summary>
public sealed record ChipIdentity(
    string Vendor,
    string Model,
    string Serial,
    string Firmware,
    DeviceTechnology Technology)
{
    /// <summary>IEEE 488.2 style identity line.</summary>
    public override string ToString() => $"{Vendor},{Model},{Serial},{Firmware} ({Technology})";
}

/// <summary>Rows (word lines) × columns (bit lines) of the array.</summary>
public sealed record ArrayGeometry
{
    public ArrayGeometry(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Rows = rows;
        Columns = columns;
    }

    public int Rows { get; }

    public int Columns { get; }

    public int CellCount => Rows * Columns;

    public bool Contains(CellAddress cell) =>
        cell.Row >= 0 && cell.Row < Rows && cell.Column >= 0 && cell.Column < Columns;

    public bool Contains(CellBlock block) =>
        block.Row >= 0 && block.Column >= 0 && block.Row + block.Rows <= Rows && block.Column + block.Columns <= Columns;

    public CellBlock All => new(0, 0, Rows, Columns);

    /// <summary>Throws <see cref="CellOutOfRangeException"/> unless the array holds <paramref name="cell"/>.</summary>
    public void Require(CellAddress cell)
    {
        if (!Contains(cell))
        {
            throw new CellOutOfRangeException($"cell {cell}", this);
        }
    }

    /// <summary>Throws <see cref="CellOutOfRangeException"/> unless the array holds all of <paramref name="block"/>.</summary>
    public void Require(CellBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (!Contains(block))
        {
            throw new CellOutOfRangeException($"block {block}", this);
        }
    }

    public override string ToString() => $"{Rows}x{Columns}";
}

/// <summary>One cell: zero-based row (word line) and column (bit line).</summary>
public readonly record struct CellAddress(int Row, int Column)
{
    public override string ToString() => $"({Row},{Column})";
}

/// <summary>A rectangular block of cells, origin at (Row, Column).</summary>
public sealed record CellBlock
{
    public CellBlock(int row, int column, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        Row = row;
        Column = column;
        Rows = rows;
        Columns = columns;
    }

    public int Row { get; }

    public int Column { get; }

    public int Rows { get; }

    public int Columns { get; }

    public int CellCount => Rows * Columns;

    public static CellBlock SingleRow(int row, int columns) => new(row, 0, 1, columns);

    public static CellBlock SingleColumn(int column, int rows) => new(0, column, rows, 1);

    /// <summary>Cells in row-major order, the order of every bulk result.</summary>
    public IEnumerable<CellAddress> Cells()
    {
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                yield return new CellAddress(Row + r, Column + c);
            }
        }
    }

    public override string ToString() => $"[{Row}+{Rows}, {Column}+{Columns}]";
}

/// <summary>A programming pulse. Optional gate voltage (1T1R) and current compliance (the limit's default when null).</summary>
public sealed record ProgramPulse
{
    public required PulsePolarity Polarity { get; init; }

    /// <summary>Pulse amplitude, positive; the polarity says which way it is applied.</summary>
    public required double AmplitudeV { get; init; }

    public required double WidthSeconds { get; init; }

    public double? GateVoltageV { get; init; }

    public double? ComplianceA { get; init; }

    public override string ToString() =>
        $"{Polarity} {AmplitudeV:G4} V × {WidthSeconds:G3} s" +
        (GateVoltageV is { } g ? $", gate {g:G3} V" : string.Empty) +
        (ComplianceA is { } i ? $", compliance {i:G3} A" : string.Empty);
}

/// <summary>The forming pulse that creates the filament of a fresh RRAM cell.</summary>
public sealed record FormingPulse
{
    public required double AmplitudeV { get; init; }

    public required double WidthSeconds { get; init; }

    public required double ComplianceA { get; init; }

    public double? GateVoltageV { get; init; }
}

/// <summary>What the chip reports for a pulse it applied. Timestamps come from the chip's clock.</summary>
public sealed record PulseResult(CellAddress Cell, ProgramPulse Pulse, DateTimeOffset Timestamp);

/// <summary>The outcome of forming one cell: the current that flowed at the end of the pulse.</summary>
public sealed record FormingResult(CellAddress Cell, FormingPulse Pulse, double CurrentA, bool Formed, DateTimeOffset Timestamp);

/// <summary>A read of one cell at a read voltage.</summary>
public sealed record ReadResult(CellAddress Cell, double ReadVoltageV, double CurrentA, DateTimeOffset Timestamp)
{
    public double ConductanceS => CurrentA / ReadVoltageV;
}

/// <summary>A bulk read of a block; currents in row-major order of <see cref="CellBlock.Cells"/>.</summary>
public sealed record BlockReadResult(CellBlock Block, double ReadVoltageV, ImmutableArray<double> CurrentsA, DateTimeOffset Timestamp)
{
    public double CurrentA(int row, int column) => CurrentsA[((row - Block.Row) * Block.Columns) + (column - Block.Column)];

    public double ConductanceS(int row, int column) => CurrentA(row, column) / ReadVoltageV;

    public ReadResult Cell(int row, int column) => new(new CellAddress(row, column), ReadVoltageV, CurrentA(row, column), Timestamp);

    public IEnumerable<ReadResult> Cells() => Block.Cells().Select(c => Cell(c.Row, c.Column));
}

/// <summary>An analog vector–matrix multiply: voltages on the rows, the current of every column.</summary>
public sealed record VmmResult(ImmutableArray<double> RowVoltagesV, ImmutableArray<double> ColumnCurrentsA, DateTimeOffset Timestamp);

/// <summary>What a chip can do beyond pulses and reads.</summary>
[Flags]
public enum ChipCapabilities
{
    None = 0,

    /// <summary>Rows can be driven in parallel and column currents summed in the array.</summary>
    VectorMatrixMultiply = 1,

    /// <summary>Cells must be formed before they switch (RRAM).</summary>
    RequiresForming = 2,

    /// <summary>The chip's clock is virtual (emulator): delays advance it without waiting.</summary>
    VirtualClock = 4,

    /// <summary>
    /// Pulses can set the access transistor's gate voltage (1T1R word line). Two-terminal benches (one SMU through a
    /// matrix, the B1500's WGFMU pair) lack it and refuse a pulse that names a gate voltage.
    /// </summary>
    GateVoltage = 8,
}
