namespace CimHil.Tests.Shared;

/// <summary>
/// The mapping of the headerless TSV layout (docs/import.md, Layout 1: 1-based column-major index, R, verify window in
/// ohms, SET and RESET pulses, pass flag), written once for the CLI import tests and the calibration tests.
/// </summary>
internal static class ImportMappingFiles
{
    public static string HeaderlessTsvOhms(int rows, int columns) => $$"""
        {
          "kind": "programVerify",
          "format": { "type": "delimited", "delimiter": "tab", "header": false, "comment": "#" },
          "geometry": { "rows": {{rows}}, "columns": {{columns}}, "order": "column-major", "indexBase": 1 },
          "fields": {
            "cell": { "column": 0 },
            "value": { "column": 1, "unit": "ohm" },
            "targetLow": { "column": 2, "unit": "ohm" },
            "targetHigh": { "column": 3, "unit": "ohm" },
            "setPulses": { "column": 4 },
            "resetPulses": { "column": 5 },
            "verified": { "column": 6 }
          },
          "constants": { "readVoltageV": 0.2 }
        }
        """;
}
