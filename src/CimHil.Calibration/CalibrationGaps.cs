using System.Globalization;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Devices;

namespace CimHil.Calibration;

/// <summary>
/// What the plan measured that the fitted model lacks: levels without a fit, a missing drift or cycle-to-cycle part,
/// unfinished procedures. A model with gaps still simulates, but with parts silently replaced by defaults, so callers
/// print these as warnings, put them in the report, and refuse under <c>--strict</c>.
/// </summary>
public static class CalibrationGaps
{
    /// <summary>The refusal under <c>--strict</c>: what the model of <paramref name="database"/> lacks, and what was not done.</summary>
    public static CalibrationException Incomplete(string database, IReadOnlyList<string> gaps, string consequence) =>
        new($"{database}: --strict: the calibrated model is incomplete ({string.Join("; ", gaps)}); {consequence}");

    public static IReadOnlyList<string> Find(DeviceVariationModel model, MeasurementStore store)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(store);
        var plan = CharacterizationPlan.ParseStored(store.Run.PlanJson, $"{store.Path} (stored plan)");
        var gaps = new List<string>();
        foreach (var procedure in plan.Procedures)
        {
            if (!store.IsProcedureFinished(procedure))
            {
                gaps.Add($"procedure {procedure} of the plan did not finish ({store.CompletedUnits(procedure).Count} units stored)");
            }
        }

        if (plan.Multilevel is { } multilevel)
        {
            var fitted = model.Programming.Levels.Select(l => l.TargetS).ToList();
            var missing = multilevel.TargetsS.Where(t => !fitted.Any(f => Math.Abs(f - t) <= 1e-9 * Math.Max(Math.Abs(t), 1e-12))).ToList();
            if (missing.Count > 0)
            {
                gaps.Add(string.Create(CultureInfo.InvariantCulture, $"{multilevel.TargetsS.Length - missing.Count} of {multilevel.TargetsS.Length} multilevel levels fitted; no converged cells at {string.Join(", ", missing.Select(t => $"{t * 1e6:G4} µS"))}"));
            }
        }

        if (plan.Drift is not null && model.Drift is null)
        {
            gaps.Add("the plan measured drift but no drift model was fitted");
        }

        if (plan.CycleToCycle is not null && model.CycleToCycle is null)
        {
            gaps.Add("the plan measured cycle-to-cycle variation but no cycle-to-cycle model was fitted");
        }

        return gaps;
    }
}
