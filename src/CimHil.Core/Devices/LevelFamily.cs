namespace CimHil.Core.Devices;

/// <summary>Distribution family of the conductances of one programmed level (chosen by goodness of fit; docs/calibration-schema.md).</summary>
public enum LevelFamily
{
    /// <summary>N(meanS, sigmaS).</summary>
    Normal,

    /// <summary>ln G ~ N(logMean, logSigma): the shape of spreads at low conductance.</summary>
    LogNormal,

    /// <summary>N(meanS, sigmaS) cut to the verify window [windowLowS, windowHighS].</summary>
    TruncatedNormal,

    /// <summary>Uniform over the verify window [windowLowS, windowHighS] (no free parameter).</summary>
    Uniform,
}
