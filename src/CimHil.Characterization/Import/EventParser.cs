using System.Globalization;

namespace CimHil.Characterization.Import;

/// <summary>Turns the rows of one <see cref="RawTable"/> into <see cref="ImportEvent"/>s; a cell that does not parse is an <see cref="ImportException"/> naming file, line and column.</summary>
public sealed class EventParser
{
    private readonly ImportMapping _map;
    private readonly RawTable _table;
    private readonly Dictionary<string, int> _index;

    public EventParser(ImportMapping map, RawTable table)
    {
        _map = map;
        _table = table;
        _index = map.Sources.ToDictionary(kv => kv.Key, kv => table.IndexOf(kv.Value));
    }

    public ImportEvent Parse(RawRow row, int order)
    {
        var (r, c) = Cell(row);
        var readV = Number(row, "readVoltage") is { } v ? _map.Sources["readVoltage"].Unit!.ToSi(v) : _map.Constants.ReadVoltageV;
        if (readV is <= 0)
        {
            // A current at 0 V gives no conductance, and the store's plan needs a positive read voltage (constants.readVoltageV is refused the same way).
            throw Bad(row, "readVoltage", $"'{Text(row, "readVoltage")}': a read voltage must be greater than 0");
        }

        var value = _map.Sources["value"];
        var raw = Number(row, "value")!.Value;
        double conductanceS;
        double? currentA = null;
        switch (value.Unit!.Dimension)
        {
            case Dimension.Current:
                currentA = value.Unit.ToSi(raw);
                conductanceS = currentA.Value / readV!.Value;
                break;
            case Dimension.Resistance when raw <= 0:
                throw Bad(row, "value", $"'{Text(row, "value")}': a resistance must be greater than 0");
            default:
                conductanceS = ImportMapping.ToSiemens(raw, value.Unit);
                currentA = readV * conductanceS;
                break;
        }

        var level = Int(row, "level");
        return new ImportEvent
        {
            File = _table.File,
            Line = row.Line,
            Order = order,
            Row = r,
            Column = c,
            ConductanceS = conductanceS,
            ReadVoltageV = readV,
            CurrentA = currentA,
            TargetS = Target(row, level),
            Window = Window(row),
            Level = level,
            Verified = Flag(row, "verified") ?? _map.Constants.Verified,
            SetPulses = Int(row, "setPulses"),
            ResetPulses = Int(row, "resetPulses"),
            Cycle = Int(row, "cycle"),
            ElapsedSeconds = Number(row, "elapsed") is { } e ? _map.Sources["elapsed"].Unit!.ToSi(e) : _map.Constants.ElapsedSeconds,
            Timestamp = Time(row),
            TemperatureK = Number(row, "temperature") is { } t ? _map.Sources["temperature"].Unit!.ToSi(t) : _map.Constants.TemperatureK,
            Phase = Has("phase") ? Text(row, "phase") : _map.Constants.Phase,
            Repeat = Int(row, "repeat"),
            Sequence = Has("sequence") ? Long(row, "sequence") : null,
        };
    }

    private double? Target(RawRow row, int? level)
    {
        if (Number(row, "target") is { } t)
        {
            return ImportMapping.ToSiemens(t, _map.Sources["target"].Unit!);
        }

        if (Window(row) is { } w)
        {
            return w.TargetS;
        }

        if (level is { } l && !_map.Levels.IsDefaultOrEmpty)
        {
            return l >= 0 && l < _map.Levels.Length
                ? _map.Levels[l].TargetS
                : throw Bad(row, "level", $"level {l} is not in the mapping's 'levels' table (0 … {_map.Levels.Length - 1})");
        }

        return _map.Constants.TargetS;
    }

    /// <summary>The row's verify window, from the low and high columns or the level table.</summary>
    private ConductanceLevel? Window(RawRow row)
    {
        if (Number(row, "targetLow") is { } low)
        {
            var a = ImportMapping.ToSiemens(low, _map.Sources["targetLow"].Unit!);
            var b = ImportMapping.ToSiemens(Number(row, "targetHigh")!.Value, _map.Sources["targetHigh"].Unit!);
            return new ConductanceLevel(Math.Min(a, b), Math.Max(a, b));
        }

        return Int(row, "level") is { } l && !_map.Levels.IsDefaultOrEmpty && l >= 0 && l < _map.Levels.Length ? _map.Levels[l] : null;
    }

    private (int Row, int Column) Cell(RawRow row)
    {
        var g = _map.Geometry;
        if (Has("cell"))
        {
            var index = Int(row, "cell")!.Value - _map.IndexBase;
            if (index < 0 || index >= g!.CellCount)
            {
                throw Bad(row, "cell", $"cell index {index + _map.IndexBase} is outside the {g!.Rows}×{g.Columns} array (index base {_map.IndexBase})");
            }

            return _map.ColumnMajor ? (index % g.Rows, index / g.Rows) : (index / g.Columns, index % g.Columns);
        }

        var r = Int(row, "row")!.Value - _map.IndexBase;
        var c = Int(row, "column")!.Value - _map.IndexBase;
        if (r < 0 || (g is not null && r >= g.Rows))
        {
            throw Bad(row, "row", $"row {r + _map.IndexBase} is outside the array");
        }

        if (c < 0 || (g is not null && c >= g.Columns))
        {
            throw Bad(row, "column", $"column {c + _map.IndexBase} is outside the array");
        }

        return (r, c);
    }

    private bool Has(string field) => _index.ContainsKey(field);

    private string Text(RawRow row, string field)
    {
        var i = _index[field];
        return i < row.Cells.Count
            ? row.Cells[i]
            : throw new ImportException(_table.File, row.Line, i + 1, $"the line has {row.Cells.Count} fields; '{field}' ({_map.Sources[field].Describe()}) is field {i + 1}");
    }

    private double? Number(RawRow row, string field)
    {
        if (!Has(field))
        {
            return null;
        }

        var text = Text(row, field);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw Bad(row, field, $"'{text}' is not a number");
    }

    private int? Int(RawRow row, string field)
    {
        if (!Has(field))
        {
            return null;
        }

        var n = Long(row, field);
        return n is >= int.MinValue and <= int.MaxValue ? (int)n : throw Bad(row, field, $"'{Text(row, field)}' is out of range (at most {int.MaxValue})");
    }

    private long Long(RawRow row, string field)
    {
        var text = Text(row, field);
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
        {
            return n;
        }

        // HDF5 and spreadsheets often hold whole numbers as floating point ("3.0").
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d) && Math.Abs(d) < long.MaxValue
            ? (long)d
            : throw Bad(row, field, $"'{text}' is not a whole number");
    }

    private bool? Flag(RawRow row, string field)
    {
        if (!Has(field))
        {
            return null;
        }

        var text = Text(row, field);
        return text.ToLowerInvariant() switch
        {
            "1" or "true" or "yes" or "pass" or "ok" or "y" or "t" => true,
            "0" or "false" or "no" or "fail" or "n" or "f" => false,
            _ => throw Bad(row, field, $"'{text}' is not a flag; allowed: 1/0, true/false, yes/no, pass/fail"),
        };
    }

    private DateTimeOffset? Time(RawRow row)
    {
        if (!Has("timestamp"))
        {
            return null;
        }

        var text = Text(row, "timestamp");

        // A bare number is seconds since the Unix epoch, as instrument logs and time.time() write it. Tried first: the
        // date parser reads a small number such as "1.5" as a month and day (5 January of this year).
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && double.IsFinite(s))
        {
            return DateTimeOffset.UnixEpoch.AddTicks((long)(s * TimeSpan.TicksPerSecond));
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : throw Bad(row, "timestamp", $"'{text}' is not an ISO 8601 time nor seconds since 1970-01-01");
    }

    private ImportException Bad(RawRow row, string field, string problem) =>
        new(_table.File, row.Line, _index[field] + 1, $"{field} ({_map.Sources[field].Describe()}): {problem}");
}
