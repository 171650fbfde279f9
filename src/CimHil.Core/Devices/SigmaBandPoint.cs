namespace CimHil.Core.Devices;

/// <summary>One point of the 95 % confidence band of σ(G): the conductance, the fitted σ and the band's ends.</summary>
public sealed record SigmaBandPoint(double ConductanceS, double SigmaS, double LowS, double HighS);
