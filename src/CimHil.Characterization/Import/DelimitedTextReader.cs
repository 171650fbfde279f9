namespace CimHil.Characterization.Import;

/// <summary>Reads CSV, TSV or whitespace-separated text: comment and blank lines skipped, an optional header line, quoted fields allowed.</summary>
public static class DelimitedTextReader
{
    public static async Task<RawTable> ReadAsync(string path, ImportFormat format, CancellationToken cancellationToken)
    {
        var lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string>? header = null;
        var rows = new List<RawRow>();
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i];
            var trimmed = text.TrimStart();
            if (trimmed.Length == 0 || trimmed.StartsWith(format.CommentPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var cells = Split(text, format.Delimiter, path, i + 1);
            if (format.Header && header is null)
            {
                header = cells;
                continue;
            }

            rows.Add(new RawRow(i + 1, cells));
        }

        return new RawTable(path, header, rows);
    }

    /// <summary>Splits one line; a field in double quotes may hold the delimiter, and "" inside it is one quote (RFC 4180).</summary>
    public static IReadOnlyList<string> Split(string line, char? delimiter, string file, int lineNumber)
    {
        if (delimiter is null)
        {
            return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        }

        var cells = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (ch == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(ch);
                }
            }
            else if (ch == '"' && string.IsNullOrWhiteSpace(cell.ToString()))
            {
                // Spaces before the opening quote (", \"a,b\"", as many tools write after a comma) are not part of the field.
                cell.Clear();
                quoted = true;
            }
            else if (ch == delimiter)
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(ch);
            }
        }

        if (quoted)
        {
            throw new ImportException(file, lineNumber, cells.Count + 1, "a quoted field is not closed");
        }

        cells.Add(cell.ToString().Trim());
        return cells;
    }
}
