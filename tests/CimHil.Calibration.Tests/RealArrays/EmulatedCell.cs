namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// One cell of an emulated array after program-and-verify: its level, whether it verified, its pulse counts, its reads
/// (as programmed, then after relaxation) and the emulator's noise-free conductance at each of those moments.
/// </summary>
internal sealed record EmulatedCell(
    int Row,
    int Column,
    int Level,
    bool Verified,
    int SetPulses,
    int ResetPulses,
    double LastStepS,
    IReadOnlyList<double> FinalReadsS,
    double TrueFinalS,
    double ReadSigmaS,
    IReadOnlyList<IReadOnlyList<double>> RelaxedReadsS,
    IReadOnlyList<double> TrueRelaxedS,
    IReadOnlyList<double> RelaxedElapsedSeconds);
