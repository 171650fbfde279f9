using CimHil.Characterization.Resume;

namespace CimHil.Characterization;

/// <summary>What a characterisation run did in this session.</summary>
public sealed record CharacterizationSummary(
    string RunId,
    string StorePath,
    int Session,
    bool Resumed,
    IReadOnlyList<string> Procedures,
    long Measurements,
    long Units,
    int UnitsThisSession,
    double ElapsedSeconds)
{
    /// <summary>What the resume check found (a restored emulator state, the fingerprint, procedures restarted on a new chip).</summary>
    public ResumeCheck Resume { get; init; } = ResumeCheck.Fresh;
}
