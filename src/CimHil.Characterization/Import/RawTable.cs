namespace CimHil.Characterization.Import;

/// <summary>One data row of a foreign file: its line number (HDF5: element index + 1) and its cells as text.</summary>
public sealed record RawRow(int Line, IReadOnlyList<string> Cells);

/// <summary>A foreign file read as text cells: the header (column names or dataset paths, when known) and the data rows.</summary>
public sealed record RawTable(string File, IReadOnlyList<string>? Header, IReadOnlyList<RawRow> Rows)
{
    /// <summary>The 0-based position of the field's column, or a mapping error naming the field and the file.</summary>
    public int IndexOf(FieldSpec field)
    {
        if (field.ColumnIndex is { } i)
        {
            return i;
        }

        var name = field.ColumnName ?? field.Dataset!;
        var index = Header?.ToList().IndexOf(name) ?? -1;
        if (index < 0)
        {
            var known = Header is null ? "the file has no header line (name the column by its 0-based index)" : $"columns: {string.Join(", ", Header)}";
            throw new ImportException(File, null, null, $"{field.JsonPath}: column '{name}' is not in the file; {known}");
        }

        return index;
    }
}
