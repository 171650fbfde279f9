using System.Collections.Immutable;

namespace CimHil.Core.Devices;

/// <summary>
/// σ of the programming error as a smooth function of the target conductance, so a simulation can use any level:
/// <c>linear</c> σ = a + b·x or <c>powerLaw</c> σ = a·x^b, with x = G / window.MaxS (schema 1, optional).
/// </summary>
public sealed record SigmaOfConductance
{
    public const string Linear = "linear";
    public const string PowerLaw = "powerLaw";

    /// <summary><c>linear</c> or <c>powerLaw</c>.</summary>
    public required string Form { get; init; }

    public required double A { get; init; }

    public required double B { get; init; }

    public Interval? AInterval { get; init; }

    public Interval? BInterval { get; init; }

    /// <summary>Weighted χ² of each form against the level σ (weights 1/SE²): the smaller one was chosen.</summary>
    public double? LinearChiSquare { get; init; }

    public double? PowerLawChiSquare { get; init; }

    /// <summary>The 95 % bootstrap band of σ(G) over the window.</summary>
    public ImmutableArray<SigmaBandPoint> Band { get; init; } = [];

    /// <summary>σ in S at x = G / window.MaxS (never negative).</summary>
    public double Evaluate(double x) => Math.Max(0, Form == PowerLaw ? (x > 0 ? A * Math.Pow(x, B) : (B > 0 ? 0 : A)) : A + (B * x));
}
