namespace CimHil.Simulation.WorstCase;

/// <summary>
/// Progress of a worst-case sweep (<see cref="WorstCaseSearch.SweepAsync"/>): one event per gradient step of each start
/// of each bound, and one when a bound is finished. Steps are the unit of work: <see cref="StepsDone"/> of
/// <see cref="StepsTotal"/> over the whole sweep (a bound k = 0 needs no search and counts none), so an ETA is
/// <c>ElapsedSeconds · (StepsTotal − StepsDone) / StepsDone</c> (the polish after each start is not counted).
/// </summary>
/// <param name="K">The bound multiplier being searched.</param>
/// <param name="Bound">Its index among the sweep's bounds in ascending order (0-based).</param>
/// <param name="Bounds">Bounds in the sweep.</param>
/// <param name="Start">The start (0 = warm start from the previous bound, then the random restarts); -1 on a bound's finish.</param>
/// <param name="Step">The gradient step within the start (0 … steps); -1 on a bound's finish.</param>
/// <param name="StepsDone">Gradient steps done in the whole sweep.</param>
/// <param name="StepsTotal">Gradient steps the whole sweep takes.</param>
/// <param name="Accuracy">At a step: the accuracy of the current deviation; on a bound's finish: that bound's worst-case accuracy, as in the result.</param>
/// <param name="BoundFinished">True for the event that closes a bound.</param>
/// <param name="ElapsedSeconds">Seconds since the sweep started.</param>
public sealed record WorstCaseProgress(
    double K, int Bound, int Bounds, int Start, int Step, long StepsDone, long StepsTotal, double Accuracy, bool BoundFinished, double ElapsedSeconds);
