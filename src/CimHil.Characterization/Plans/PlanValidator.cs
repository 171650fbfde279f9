using CimHil.Characterization.Procedures;
using CimHil.Core.Chip;
using CimHil.Core.Safety;

namespace CimHil.Characterization.Plans;

/// <summary>
/// Walks every stimulus a plan will apply and checks each against the safety limits and the chip's capabilities and
/// geometry: the plan-wide read voltage and program-and-verify ranges first, then each procedure's own stimuli, which
/// the procedure itself describes (<see cref="ICharacterizationProcedure.Review"/>). Runs before the first pulse: a plan
/// that would be refused half-way is refused before it starts.
/// </summary>
public static class PlanValidator
{
    /// <summary>
    /// Checks <paramref name="plan"/> for <paramref name="chip"/>. The limits are <paramref name="limits"/>, else those of
    /// the <see cref="SafeChip"/> the chip is wrapped in; with neither only the capabilities and geometry are checked.
    /// </summary>
    public static PlanCheck Check(CharacterizationPlan plan, IChip chip, SafetyLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(chip);

        var review = new PlanReview(plan, chip, limits ?? chip.Unwrap<SafeChip>()?.Limits);
        review.CheckPlanWide(plan.Sections.Aggregate(PlanUse.None, (uses, s) => uses | s.Registration.Procedure.Uses));
        foreach (var section in plan.Sections)
        {
            review.Begin(section.Registration.Section);
            section.Registration.Procedure.Review(section.Spec, review);
        }

        return review.Result();
    }
}
