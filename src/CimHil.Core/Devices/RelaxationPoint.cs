namespace CimHil.Core.Devices;

/// <summary>The cells of one level at one read time: elapsed time, phase label, mean and spread over cells.</summary>
public sealed record RelaxationPoint(double TargetS, double ElapsedSeconds, string? Phase, double MeanS, double SigmaS, int Cells);
