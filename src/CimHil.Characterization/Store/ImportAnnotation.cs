namespace CimHil.Characterization.Store;

/// <summary>Where an imported record came from and what the store's measurement columns cannot hold.</summary>
public sealed record ImportAnnotation
{
    public required RecordKey Key { get; init; }

    public required string SourceFile { get; init; }

    public required int SourceLine { get; init; }

    public string? Phase { get; init; }

    public double? TemperatureK { get; init; }

    public int? Cycle { get; init; }

    public int? Repeat { get; init; }

    public bool? Verified { get; init; }

    public int? SetPulses { get; init; }

    public int? ResetPulses { get; init; }

    public int? Level { get; init; }

    public double? WindowLowS { get; init; }

    public double? WindowHighS { get; init; }
}
