using System.Text.Json.Serialization;

namespace CimHil.Workflows;

/// <summary>
/// A structured progress event of a workflow: which stage, how much of it is done out of how much (units of the stage's
/// own kind: procedure units, epochs, chips, search steps; 0 of 1 when it starts and 1 of 1 when it ends), the seconds the
/// stage has run, and an optional detail for a terminal. Stages with more to say send a derived record with the numbers
/// (<see cref="MonteCarloChipProgress"/>, <see cref="WorstCaseStepProgress"/>); serialised as a <see cref="StageProgress"/>
/// each carries its kind in <c>"event"</c>, so a server can publish them as they are.
/// </summary>
/// <param name="Stage">Stage name ("characterise", "monte-carlo", "train rcn", …).</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
/// <param name="Detail">What the stage is on now ("epoch 2/3", "chip 40/100", a procedure), or null.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "event")]
[JsonDerivedType(typeof(StageProgress), "stage")]
[JsonDerivedType(typeof(MonteCarloChipProgress), "monte-carlo-chip")]
[JsonDerivedType(typeof(WorstCaseStepProgress), "worst-case-step")]
public record StageProgress(string Stage, double Done, double Total, string? Detail = null)
{
    /// <summary>
    /// Seconds since the stage (or, for its units, the work they count) started; with <see cref="Done"/> and
    /// <see cref="Total"/> an ETA is <c>ElapsedSeconds · (Total − Done) / Done</c>.
    /// </summary>
    public double ElapsedSeconds { get; init; }
}
