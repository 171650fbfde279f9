using System.Text;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// Writes an emulator run's program-and-verify results as another lab's bench would log them: headerless TSV in ohms,
/// 1-based column-major cell index, the verify window in ohms, the pulse count and a pass/fail flag, one row per final read;
/// its mapping is <see cref="TruthArray.HeaderlessTsvOhmsMap"/> (64 rows).
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
}
