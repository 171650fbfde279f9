using System.Globalization;
using PureHDF;
using PureHDF.VOL.Native;

namespace CimHil.Characterization.Import;

/// <summary>Reads the 1-D datasets a mapping names from an HDF5 file into a table: one column per dataset, one row per element.</summary>
public static class Hdf5TableReader
{
    public static async Task<RawTable> ReadAsync(string path, IEnumerable<FieldSpec> fields, CancellationToken cancellationToken)
    {
        var datasets = fields.Select(f => f.Dataset!).Distinct(StringComparer.Ordinal).ToList();
        var columns = new List<string[]>();
        using (var file = Open(path))
        {
            foreach (var name in datasets)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!file.LinkExists(name))
                {
                    throw new ImportException(path, null, null, $"dataset '{name}' is not in the file");
                }

                columns.Add(await Task.Run(() => ReadColumn(path, name, file), cancellationToken).ConfigureAwait(false));
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

    private static NativeFile Open(string path)
    {
        try
        {
            return H5File.OpenRead(path);
        }
        catch (Exception ex)
        {
            throw new ImportException(path, null, null, $"is not a readable HDF5 file: {ex.Message}");
        }
    }

    /// <summary>Synchronous underneath: PureHDF's native reader has no async reads, so the caller runs it off the calling thread.</summary>
    private static string[] ReadColumn(string path, string name, NativeFile file)
    {
        try
        {
            var dataset = file.Dataset(name);
            return dataset.Type.Class switch
            {
                H5DataTypeClass.FloatingPoint when dataset.Type.Size == 4 => Texts(dataset.Read<float[]>()),
                H5DataTypeClass.FloatingPoint => Texts(dataset.Read<double[]>()),

                // Integers are read at their stored width and sign: PureHDF does not widen them.
                H5DataTypeClass.FixedPoint => (dataset.Type.Size, dataset.Type.FixedPoint.IsSigned) switch
                {
                    (1, true) => Texts(dataset.Read<sbyte[]>()),
                    (1, false) => Texts(dataset.Read<byte[]>()),
                    (2, true) => Texts(dataset.Read<short[]>()),
                    (2, false) => Texts(dataset.Read<ushort[]>()),
                    (4, true) => Texts(dataset.Read<int[]>()),
                    (4, false) => Texts(dataset.Read<uint[]>()),
                    (_, true) => Texts(dataset.Read<long[]>()),
                    _ => Texts(dataset.Read<ulong[]>()),
                },
                H5DataTypeClass.String or H5DataTypeClass.VariableLength => dataset.Read<string[]>(),
                var other => throw new ImportException(path, null, null, $"dataset '{name}' holds {other} values; numbers or strings are imported"),
            };
        }
        catch (Exception ex) when (ex is not ImportException and not OperationCanceledException)
        {
            throw new ImportException(path, null, null, $"dataset '{name}' cannot be read as a 1-D column: {ex.Message}");
        }
    }

    private static string[] Texts<T>(T[] values)
        where T : IFormattable => [.. values.Select(v => v.ToString(typeof(T) == typeof(double) || typeof(T) == typeof(float) ? "R" : null, CultureInfo.InvariantCulture))];
}
