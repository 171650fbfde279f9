using System.Globalization;
using CimHil.Characterization.Plans;

namespace CimHil.Cli.Commands;

/// <summary>The text of <c>cimhil characterize --dry-run</c>: per procedure what it would apply, then every violation.</summary>
public static class PlanPreviewText
{
    public static void Write(TextWriter output, PlanCheck check)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(check);
        output.WriteLine($"plan '{check.PlanName}' on {check.Chip} (dry run: nothing is applied)");
        foreach (var p in check.Procedures)
        {
            if (p.Skipped is { } why)
            {
                output.WriteLine($"{p.Procedure}: skipped: {why}");
                continue;
            }

            output.WriteLine($"{p.Procedure}: {p.Units} units of {p.UnitOf}, at most {p.MaxPulses} pulses");
            foreach (var s in p.Stimuli)
            {
                var amplitude = s.MinAmplitudeV == s.MaxAmplitudeV ? $"{N(s.MaxAmplitudeV)} V" : $"{N(s.MinAmplitudeV)} … {N(s.MaxAmplitudeV)} V";
                var extras = new List<string>();
                if (s.WidthSeconds is { } w)
                {
                    extras.Add($"width {N(w)} s");
                }

                if (s.GateVoltageV is { } g)
                {
                    extras.Add($"gate {N(g)} V");
                }

                if (s.ComplianceA is { } c)
                {
                    extras.Add($"compliance {N(c)} A");
                }

                output.WriteLine($"  {s.Kind} ({s.JsonPath}): {amplitude}{string.Concat(extras.Select(e => ", " + e))}");
            }
        }

        if (check.IsValid)
        {
            output.WriteLine("no violations: every stimulus is within the safety limits and the chip's capabilities");
            return;
        }

        output.WriteLine($"{check.Violations.Count} violation(s):");
        foreach (var v in check.Violations)
        {
            output.WriteLine($"  {v}");
        }
    }

    private static string N(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
