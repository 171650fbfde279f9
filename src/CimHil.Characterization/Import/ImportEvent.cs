namespace CimHil.Characterization.Import;

/// <summary>One row of a foreign file as a measurement event, in SI units; fields the file and the constants lack are null.</summary>
public sealed record ImportEvent
{
    public required string File { get; init; }

    public required int Line { get; init; }

    /// <summary>Position among all events of the import, in file order: the default event order.</summary>
    public required int Order { get; init; }

    public required int Row { get; init; }

    public required int Column { get; init; }

    public required double ConductanceS { get; init; }

    public double? ReadVoltageV { get; init; }

    public double? CurrentA { get; init; }

    public double? TargetS { get; init; }

    /// <summary>The verify window the target came from, when the file gave one.</summary>
    public ConductanceLevel? Window { get; init; }

    public int? Level { get; init; }

    public bool? Verified { get; init; }

    public int? SetPulses { get; init; }

    public int? ResetPulses { get; init; }

    public int? Cycle { get; init; }

    public double? ElapsedSeconds { get; init; }

    public DateTimeOffset? Timestamp { get; init; }

    public double? TemperatureK { get; init; }

    public string? Phase { get; init; }

    public int? Repeat { get; init; }

    public long? Sequence { get; init; }
}
