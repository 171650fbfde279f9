using CimHil.Characterization.Store;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Import;

/// <summary>
/// An import adds to an existing store only what was measured on the store's array: the mapping's declared geometry
/// (and technology, where it names one) must equal the store's, and every imported cell must lie inside it. Checked on a
/// read-only open, before the store is opened for writing, so a refused import adds nothing to the store (no session row).
/// </summary>
internal static class ImportArrayCheck
{
    public static void RequireSameArray(string storePath, IReadOnlyList<string> files, ImportMapping mapping, IReadOnlyList<ImportEvent> events, DateTimeOffset nowUtc)
    {
        var stored = MeasurementStore.Read(storePath, nowUtc, store => store.Run.Provenance);

        var storeArray = $"a {stored.Geometry} array ({Name(stored.Chip.Technology)})";
        var extent = new ArrayGeometry(events.Max(e => e.Row) + 1, events.Max(e => e.Column) + 1);
        var technologyDiffers = mapping.TechnologyStated && mapping.Technology != stored.Chip.Technology;
        if ((mapping.Geometry is { } declared && declared != stored.Geometry) || technologyDiffers)
        {
            var technology = mapping.TechnologyStated ? $" ({Name(mapping.Technology)})" : string.Empty;
            throw new ImportException(files[0], null, null, $"describes a {mapping.Geometry ?? extent} array{technology}, but the store {storePath} holds {storeArray}; nothing was imported");
        }

        if (events.FirstOrDefault(e => !stored.Geometry.Contains(new CellAddress(e.Row, e.Column))) is { } outside)
        {
            throw new ImportException(outside.File, outside.Line, null,
                $"cell ({outside.Row}, {outside.Column}) lies outside the store {storePath}, which holds {storeArray}; the file's cells span {extent}; nothing was imported");
        }
    }

    private static string Name(DeviceTechnology technology) => technology.ToString().ToLowerInvariant();
}
