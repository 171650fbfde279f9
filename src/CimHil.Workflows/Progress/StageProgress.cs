namespace CimHil.Workflows;

/// <summary>
/// A structured progress event of a workflow: which stage, how much of it is done out of how much (units of the stage's
/// own kind: procedure units, epochs, chips; 0 of 1 when it starts and 1 of 1 when it ends), and an optional detail.
/// </summary>
/// <param name="Stage">Stage name ("characterise", "monte-carlo", "train rcn", …).</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in the stage.</param>
/// <param name="Detail">What the stage is on now ("epoch 2/3", "chip 40/100", a procedure), or null.</param>
public sealed record StageProgress(string Stage, double Done, double Total, string? Detail = null);
