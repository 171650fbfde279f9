namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>One generated cell: where it is, its level, what it was programmed to, its reads, pulses, and whether it verified or is a planted outlier.</summary>
internal sealed record TruthCell(int Row, int Column, int Level, double ProgrammedS, IReadOnlyList<double> ReadsS, int SetPulses, int ResetPulses, bool Verified, bool Outlier);
