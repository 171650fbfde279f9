namespace CimHil.Workflows;

/// <summary>The bounds the workflows' settings accept (the CLI's options share them, docs/cli.md "Limits").</summary>
public static class WorkflowLimits
{
    /// <summary>Worst-case bound multiplier k (box ±k·σ): far past any calibrated tail, and a finite box.</summary>
    public const double MaxWorstCaseK = 100;
}
