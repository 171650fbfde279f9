using System.Collections.Immutable;

namespace CimHil.Core.Devices;

/// <summary>
/// The distribution of the settled conductance of the cells of one level that verified and are not outliers: the family
/// chosen by goodness of fit among <see cref="Candidates"/>, its parameters with bootstrap intervals (schema 1, optional).
/// </summary>
public sealed record LevelDistribution
{
    public required LevelFamily Family { get; init; }

    /// <summary>meanS/sigmaS (normal, truncated normal), logMean/logSigma (log-normal); windowLowS/windowHighS where the family uses the window.</summary>
    public ImmutableArray<DistributionParameter> Parameters { get; init; } = [];

    public GoodnessOfFit? Fit { get; init; }

    public ImmutableArray<FamilyCandidate> Candidates { get; init; } = [];

    /// <summary>The value of a parameter by name, or null.</summary>
    public double? Parameter(string name)
    {
        foreach (var p in Parameters)
        {
            if (p.Name == name)
            {
                return p.Value;
            }
        }

        return null;
    }
}
