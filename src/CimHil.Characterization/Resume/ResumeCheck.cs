namespace CimHil.Characterization.Resume;

/// <summary>What the resume check found: whether a saved chip state was restored, the fingerprint, and what was restarted on a new chip.</summary>
public sealed record ResumeCheck(bool StateRestored, ChipFingerprint? Fingerprint, IReadOnlyList<string>? RestartedOnNewChip)
{
    /// <summary>A session that resumed nothing.</summary>
    public static ResumeCheck Fresh { get; } = new(false, null, null);
}
