namespace CimHil.Simulation.WorstCase;

/// <summary>
/// The descent loop over a resident state (<see cref="IResidentSearchState"/>, docs/gpu.md): the same steps as the CPU's loop
/// (<see cref="HostDescent"/>) with Δ, the box and Adam's moments never leaving the device; per step the host receives the
/// correct count and the objective, and sends the step's scalars. The start's best Δ comes back once, at its end.
/// </summary>
public sealed class ResidentDescent(IResidentSearchState state) : IWorstCaseDescent
{
    private PerturbationBox? _box;

    /// <inheritdoc/>
    public DescentResult Descend(DescentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var options = request.Options;
        if (!ReferenceEquals(_box, request.Box))
        {
            state.LoadBox(request.Box);
            _box = request.Box;
        }

        state.LoadStart(request.Start);
        var startCorrect = int.MaxValue;
        var startLoss = double.PositiveInfinity;
        var passes = 0;
        for (var step = 0; step <= options.Steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (correct, loss) = state.Pass(request.Kappa);
            passes++;
            request.OnStep?.Invoke(step, correct, loss);
            if (DescentStep.Improves(correct, loss, startCorrect, startLoss))
            {
                startCorrect = correct;
                startLoss = loss;
                state.KeepStartBest();
            }

            if (step == options.Steps)
            {
                break;
            }

            state.Step(ResidentStep.For(options, DescentStep.Eta(options, step), step + 1));
            var focus = DescentStep.Focus(options, request.StartIndex);
            if (focus < 1)
            {
                state.FocusClip(focus);
            }
        }

        state.ReadStartBest(request.Best);
        return new DescentResult(startCorrect, startLoss, state.ReadUpper(), passes, 0);
    }
}
