namespace CimHil.Calibration;

/// <summary>How calibration fits: bootstrap size and seed, polynomial degree, drift reference time.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Bootstrap resamples per confidence interval.</summary>
    public int BootstrapSamples { get; init; } = 200;

    public int Seed { get; init; } = 1;

    /// <summary>Degree of σ(x), σ_read(x), ν(x) polynomials (2, as in the PCM model of Nandakumar et al. 2019).</summary>
    public int PolynomialDegree { get; init; } = 2;

    /// <summary>t0 of G(t) = G(t0)·((t + t0)/t0)^−ν; default: the plan's first drift read time.</summary>
    public double? DriftT0Seconds { get; init; }
}
