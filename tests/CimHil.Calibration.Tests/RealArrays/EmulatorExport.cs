using System.Text;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// Writes an emulator run's program-and-verify results as another lab's bench would log them: headerless TSV in ohms,
/// 1-based column-major cell index, the verify window in ohms, the pulse count and a pass/fail flag, one row per final read.
/// </summary>
internal static class EmulatorExport
{
    public static string HeaderlessTsvOhms(MeasurementStore store, int rows, double toleranceS)
    {
        var units = store.Units(ProcedureNames.Multilevel).ToDictionary(u => u.Key);
        var sb = new StringBuilder("# exported from an emulator run; R in ohm\n");
        foreach (var m in store.Measurements(ProcedureNames.Multilevel, MeasurementRoles.Final))
        {
            if (m.Kind != MeasurementKind.Read || m.ConductanceS is not { } g || m.TargetS is not { } t
                || !units.TryGetValue(new UnitKey(ProcedureNames.Multilevel, m.Key.Row, m.Key.Column, m.Key.Step), out var unit))
            {
                continue;
            }

            var pass = unit.Outcome == ProcedureNames.Converged ? 1 : 0;
            sb.Append(TruthArray.Inv($"{(m.Key.Column * rows) + m.Key.Row + 1}\t{1 / g:R}\t{1 / (t + toleranceS):R}\t{1 / (t - toleranceS):R}\t{unit.Pulses}\t0\t{pass}\n"));
        }

        return sb.ToString();
    }

    public const string Map = """
        {
          "kind": "programVerify",
          "format": { "type": "delimited", "delimiter": "tab", "header": false, "comment": "#" },
          "geometry": { "rows": 64, "columns": 64, "order": "column-major", "indexBase": 1 },
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
