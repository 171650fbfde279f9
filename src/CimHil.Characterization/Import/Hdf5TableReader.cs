using System.Globalization;
using PureHDF;

namespace CimHil.Characterization.Import;

/// <summary>Reads the 1-D datasets a mapping names from an HDF5 file into a table: one column per dataset, one row per element.</summary>
public static class Hdf5TableReader
{
    public static async Task<RawTable> ReadAsync(string path, IEnumerable<FieldSpec> fields, CancellationToken cancellationToken)
    {
        var datasets = fields.Select(f => f.Dataset!).Distinct(StringComparer.Ordinal).ToList();
        var columns = new List<string[]>();
        using (var file = H5File.OpenRead(path))
        {
            foreach (var name in datasets)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!file.LinkExists(name))
                {
                    throw new ImportException(path, null, null, $"dataset '{name}' is not in the file");
                }

                var dataset = file.Dataset(name);
                columns.Add(await ReadColumnAsync(path, name, dataset, cancellationToken).ConfigureAwait(false));
            }
        }

        var length = columns.Count == 0 ? 0 : columns[0].Length;
        for (var c = 1; c < columns.Count; c++)
        {
            if (columns[c].Length != length)
            {
                throw new ImportException(path, null, null, $"dataset '{datasets[c]}' has {columns[c].Length} elements, '{datasets[0]}' has {length}; the datasets of one mapping are columns of one table");
            }
        }

        var rows = Enumerable.Range(0, length).Select(i => new RawRow(i + 1, columns.Select(col => col[i]).ToList())).ToList();
        return new RawTable(path, datasets, rows);
    }

    private static async Task<string[]> ReadColumnAsync(string path, string name, IH5Dataset dataset, CancellationToken cancellationToken)
    {
        try
        {
            return dataset.Type.Class switch
            {
                H5DataTypeClass.FloatingPoint => (await dataset.ReadAsync<double[]>(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToArray(),
                H5DataTypeClass.FixedPoint => (await dataset.ReadAsync<long[]>(cancellationToken: cancellationToken).ConfigureAwait(false)).Select(v => v.ToString(CultureInfo.InvariantCulture)).ToArray(),
                H5DataTypeClass.String or H5DataTypeClass.VariableLength => await dataset.ReadAsync<string[]>(cancellationToken: cancellationToken).ConfigureAwait(false),
                var other => throw new ImportException(path, null, null, $"dataset '{name}' holds {other} values; numbers or strings are imported"),
            };
        }
        catch (Exception ex) when (ex is not ImportException and not OperationCanceledException)
        {
            throw new ImportException(path, null, null, $"dataset '{name}' cannot be read as a 1-D column: {ex.Message}");
        }
    }
}
