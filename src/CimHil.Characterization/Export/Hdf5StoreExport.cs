using PureHDF;

namespace CimHil.Characterization.Export;

/// <summary>
/// Writes the export tables into one HDF5 file: a group per table, a 1-D dataset per column (all of one length, the
/// table's rows), and a "columns" attribute giving the column order, so h5py and xarray read it as a table.
/// </summary>
public static class Hdf5StoreExport
{
    public static async Task WriteAsync(IReadOnlyList<ExportTable> tables, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        var file = new H5File();
        foreach (var table in tables)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var group = new H5Group { Attributes = new Dictionary<string, object> { ["columns"] = table.Columns.Select(c => c.Name).ToArray(), ["rows"] = (long)table.Rows.Count } };
            for (var i = 0; i < table.Columns.Count; i++)
            {
                var column = table.Columns[i];
                var index = i;
                group[column.Name] = column.Type switch
                {
                    ExportType.Text => table.Rows.Select(r => r[index]?.ToString() ?? string.Empty).ToArray(),
                    ExportType.Integer => table.Rows.Select(r => Convert.ToInt64(r[index], System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                    _ => (object)table.Rows.Select(r => r[index] is { } v ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) : double.NaN).ToArray(),
                };
            }

            file[table.Name] = group;
        }

        // Written beside the destination and moved into place: a reader never sees a half-written file.
        var temporary = path + ".writing";
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        await Task.Run(() => file.Write(temporary), cancellationToken).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }
}
