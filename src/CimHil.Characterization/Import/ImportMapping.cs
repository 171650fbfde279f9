using System.Collections.Immutable;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Import;

/// <summary>
/// How the columns (or HDF5 datasets) of foreign files become measurement events: one mapping file, read with
/// <see cref="JsonSection"/> so every mistake is refused with its JSON path. See docs/import.md for the schema.
/// </summary>
public sealed record ImportMapping
{
    /// <summary>The fields a mapping may name, and the unit dimensions each accepts (null: no unit).</summary>
    public static readonly ImmutableDictionary<string, Dimension[]?> Fields = new Dictionary<string, Dimension[]?>
    {
        ["cell"] = null, ["row"] = null, ["column"] = null,
        ["value"] = [Dimension.Resistance, Dimension.Conductance, Dimension.Current],
        ["readVoltage"] = [Dimension.Voltage],
        ["target"] = [Dimension.Resistance, Dimension.Conductance],
        ["targetLow"] = [Dimension.Resistance, Dimension.Conductance],
        ["targetHigh"] = [Dimension.Resistance, Dimension.Conductance],
        ["level"] = null, ["verified"] = null, ["setPulses"] = null, ["resetPulses"] = null, ["cycle"] = null,
        ["elapsed"] = [Dimension.Time], ["timestamp"] = null, ["temperature"] = [Dimension.Temperature],
        ["phase"] = null, ["repeat"] = null, ["sequence"] = null,
    }.ToImmutableDictionary();

    public required ImportKind Kind { get; init; }

    public required ImportFormat Format { get; init; }

    /// <summary>Rows × columns; required with a linear cell index, otherwise the extent of the cells seen.</summary>
    public ArrayGeometry? Geometry { get; init; }

    public bool ColumnMajor { get; init; }

    /// <summary>The first cell's index in the file (0 or 1), for cell, row and column alike.</summary>
    public int IndexBase { get; init; }

    public required ImmutableDictionary<string, FieldSpec> Sources { get; init; }

    /// <summary>Level index → verify window, for a file that gives a level index.</summary>
    public ImmutableArray<ConductanceLevel> Levels { get; init; } = [];

    public required ImportConstants Constants { get; init; }

    public DeviceTechnology Technology { get; init; } = DeviceTechnology.Rram;

    /// <summary>True when the mapping names its technology (an import into an existing store then checks it).</summary>
    public bool TechnologyStated { get; init; }

    /// <summary>The mapping text as given, stored with the import's provenance.</summary>
    public required string Json { get; init; }

    public FieldSpec? Source(string field) => Sources.GetValueOrDefault(field);

    public static ImportMapping Load(string path)
    {
        try
        {
            return Parse(File.Exists(path) ? File.ReadAllText(path) : throw new ConfigException(string.Empty, "mapping file not found", path), path);
        }
        catch (ConfigException ex) when (ex.Source_ is null)
        {
            throw ex.WithSource(path);
        }
    }

    public static ImportMapping Parse(string json, string source = "mapping")
    {
        var root = JsonSection.Parse(json, source);
        root.AllowOnly("kind", "format", "geometry", "fields", "levels", "constants", "technology");
        var fields = root.Section("fields");
        fields.AllowOnly([.. Fields.Keys]);
        var sources = fields.PropertyNames().Where(fields.Has)
            .ToImmutableDictionary(n => n, n => FieldSpec.Parse(fields.Section(n), Fields[n]));
        var format = ImportFormat.Parse(root.SectionOrEmpty("format"));
        foreach (var (name, spec) in sources)
        {
            if (format.Hdf5 != (spec.Dataset is not null))
            {
                throw new ConfigException(spec.JsonPath, format.Hdf5 ? "an HDF5 mapping names a 'dataset'" : "a delimited-text mapping names a 'column'");
            }
        }

        var geometrySection = root.OptionalSection("geometry");
        ArrayGeometry? geometry = null;
        var columnMajor = false;
        var indexBase = 0;
        if (geometrySection is { } g)
        {
            g.AllowOnly("rows", "columns", "order", "indexBase");
            geometry = new ArrayGeometry(g.Int("rows", 1, 1 << 20), g.Int("columns", 1, 1 << 20));
            var order = g.String("order", "row-major");
            columnMajor = order switch
            {
                "row-major" => false,
                "column-major" => true,
                _ => throw g.Error("order", $"'{order}' is not an order; allowed: row-major, column-major"),
            };
            indexBase = g.Int("indexBase", 0, 0, 1);
        }

        var hasCell = sources.ContainsKey("cell");
        if (hasCell == (sources.ContainsKey("row") || sources.ContainsKey("column")))
        {
            throw fields.Error("name the cell either by 'cell' (a linear index, with 'geometry') or by 'row' and 'column'");
        }

        if (!hasCell && !(sources.ContainsKey("row") && sources.ContainsKey("column")))
        {
            throw fields.Error(sources.ContainsKey("row") ? "column" : "row", "is required with the other of 'row' and 'column'");
        }

        if (hasCell && geometry is null)
        {
            throw root.Error("geometry", "is required with a linear 'cell' index (rows, columns, order)");
        }

        if (!sources.TryGetValue("value", out var value))
        {
            throw fields.Error("value", "is required: the measured resistance, conductance or current");
        }

        if (sources.ContainsKey("targetLow") != sources.ContainsKey("targetHigh"))
        {
            throw fields.Error(sources.ContainsKey("targetLow") ? "targetHigh" : "targetLow", "a verify window needs both 'targetLow' and 'targetHigh'");
        }

        var constants = ImportConstants.Parse(root.SectionOrEmpty("constants"));
        if (value.Unit!.Dimension == Dimension.Current && !sources.ContainsKey("readVoltage") && constants.ReadVoltageV is null)
        {
            throw root.Error("constants", "a current needs the read voltage: map 'fields.readVoltage' or give 'constants.readVoltageV'");
        }

        var levels = ImmutableArray<ConductanceLevel>.Empty;
        if (root.Has("levels"))
        {
            if (!sources.ContainsKey("level"))
            {
                throw root.Error("levels", "a table of windows needs 'fields.level' (the level index of each row)");
            }

            levels = [.. root.Sections("levels").Select(l =>
            {
                l.AllowOnly("low", "high", "unit");
                var unit = ImportUnit.Parse(l.String("unit"), l.PathOf("unit"), Dimension.Resistance, Dimension.Conductance);
                return ConductanceLevel.From(l.Positive("low"), l.Positive("high"), unit);
            })];
        }

        return new ImportMapping
        {
            Kind = root.Enum<ImportKind>("kind"),
            Format = format,
            Geometry = geometry,
            ColumnMajor = columnMajor,
            IndexBase = indexBase,
            Sources = sources,
            Levels = levels,
            Constants = constants,
            Technology = root.Enum("technology", DeviceTechnology.Rram),
            TechnologyStated = root.Has("technology"),
            Json = json,
        };
    }

    /// <summary>A resistance or conductance in <paramref name="unit"/> as a conductance in siemens.</summary>
    public static double ToSiemens(double value, ImportUnit unit) =>
        unit.Dimension == Dimension.Resistance ? 1 / unit.ToSi(value) : unit.ToSi(value);
}
