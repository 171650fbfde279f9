using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests.Import;

/// <summary>The mapping files of the test layouts (the same three docs/import.md shows, plus HDF5).</summary>
internal static class Mappings
{
    public static readonly string HeaderlessTsvOhms = ImportMappingFiles.HeaderlessTsvOhms(32, 32);

    public const string CsvMicrosiemens = """
        {
          "kind": "programVerify",
          "format": { "type": "delimited", "delimiter": "comma", "header": true },
          "fields": {
            "row": { "column": "row" },
            "column": { "column": "col" },
            "value": { "column": "G_uS", "unit": "uS" },
            "target": { "column": "target_uS", "unit": "µS" },
            "repeat": { "column": "read" }
          },
          "constants": { "readVoltageV": 0.2 }
        }
        """;

    /// <summary>The CSV layout declaring the 32 × 32 array, for a store the retention layout (which declares it) is added to.</summary>
    public static readonly string CsvMicrosiemensOn32x32 =
        CsvMicrosiemens.Replace("\"fields\"", "\"geometry\": { \"rows\": 32, \"columns\": 32 },\n  \"fields\"", StringComparison.Ordinal);

    public const string Retention = """
        {
          "kind": "retention",
          "format": { "type": "delimited", "delimiter": "semicolon", "header": true },
          "geometry": { "rows": 32, "columns": 32, "order": "row-major" },
          "fields": {
            "cell": { "column": "cell" },
            "level": { "column": "level" },
            "elapsed": { "column": "t_min", "unit": "min" },
            "phase": { "column": "phase" },
            "repeat": { "column": "repeat" },
            "value": { "column": "G_uS", "unit": "uS" }
          },
          "levels": [ { "low": 19, "high": 21, "unit": "uS" }, { "low": 59, "high": 61, "unit": "uS" } ],
          "constants": { "readVoltageV": 0.2, "temperatureK": 358.15 }
        }
        """;

    public const string Hdf5 = """
        {
          "kind": "programVerify",
          "format": { "type": "hdf5" },
          "fields": {
            "row": { "dataset": "/array/row" },
            "column": { "dataset": "/array/col" },
            "value": { "dataset": "/array/current", "unit": "A" },
            "readVoltage": { "dataset": "/array/vread", "unit": "V" },
            "target": { "dataset": "/array/target", "unit": "S" },
            "phase": { "dataset": "/array/phase" }
          }
        }
        """;
}
