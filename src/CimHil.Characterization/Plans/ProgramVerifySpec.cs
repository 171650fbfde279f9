using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>Program-and-verify settings shared by every procedure that programs to a target.</summary>
public sealed record ProgramVerifySpec
{
    /// <summary>A cell is done when |G − target| ≤ this.</summary>
    public required double ToleranceS { get; init; }

    public required int MaxPulses { get; init; }

    public required IsppSpec Set { get; init; }

    public required IsppSpec Reset { get; init; }

    /// <summary>Wait after the last pulse of a row before its final reads, so post-programming transients are part of the result.</summary>
    public double SettleSeconds { get; init; }

    /// <summary>Reads of each cell after settling; their mean is the programmed value, their spread the read noise at that moment.</summary>
    public int FinalReads { get; init; } = 1;

    /// <summary>Block reads averaged into one verify read (instrument-style averaging); stored as one read record.</summary>
    public int VerifyReads { get; init; } = 1;

    public static ProgramVerifySpec Parse(JsonSection s)
    {
        s.AllowOnly("toleranceS", "maxPulses", "set", "reset", "settleSeconds", "finalReads", "verifyReads");
        return new ProgramVerifySpec
        {
            ToleranceS = s.Positive("toleranceS"),
            MaxPulses = s.Int("maxPulses", 1, 100_000),
            Set = IsppSpec.Parse(s.Section("set")),
            Reset = IsppSpec.Parse(s.Section("reset")),
            SettleSeconds = s.Double("settleSeconds", 0, 0, 1e6),
            FinalReads = s.Int("finalReads", 1, 1, 1000),
            VerifyReads = s.Int("verifyReads", 1, 1, 1000),
        };
    }
}
