using CimHil.Characterization.Procedures;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Store;

/// <summary>What a stored measurement row is: a programming pulse, a read, or a forming pulse.</summary>
public enum MeasurementKind
{
    Pulse,
    Read,
    Form,
}

/// <summary>
/// Whether a pulse recorded after a link failure was applied. A confirmed pulse (and every read) has none: its
/// <see cref="Measurement.Uncertain"/> is null.
/// </summary>
public enum UncertainOutcome
{
    /// <summary>The exchange failed, but the chip's pulse counter shows the pulse was applied.</summary>
    Applied,

    /// <summary>The exchange failed and the chip's pulse counter shows the pulse was not applied.</summary>
    NotApplied,

    /// <summary>The link stayed down: whether the pulse was applied could not be established.</summary>
    Unknown,
}

/// <summary>
/// The key every stored record is unique by: procedure, cell, the step of the procedure at that cell
/// (a level, a repeat, a time point) and the sequence number inside that step. The store's primary key,
/// so a record can never be written twice.
/// </summary>
public readonly record struct RecordKey(string Procedure, int Row, int Column, int Step, int Seq)
{
    public override string ToString() => $"{Procedure}({Row},{Column})#{Step}.{Seq}";
}

/// <summary>A unit of work: one cell at one step of one procedure. Completed units are skipped on resume.</summary>
public readonly record struct UnitKey(string Procedure, int Row, int Column, int Step)
{
    public CellAddress Cell => new(Row, Column);
}

/// <summary>One pulse, read or forming pulse as it was taken, in SI units; unused fields are null.</summary>
public sealed record Measurement
{
    public required RecordKey Key { get; init; }

    public required MeasurementKind Kind { get; init; }

    /// <summary>Why it was taken: verify, final, noise, drift, iv, set, reset, form (free text, stored as is).</summary>
    public required string Role { get; init; }

    public PulsePolarity? Polarity { get; init; }

    /// <summary>Pulse amplitude, forming amplitude or read voltage.</summary>
    public double? VoltageV { get; init; }

    public double? WidthSeconds { get; init; }

    public double? GateVoltageV { get; init; }

    public double? ComplianceA { get; init; }

    public double? CurrentA { get; init; }

    public double? ConductanceS { get; init; }

    public double? TargetS { get; init; }

    /// <summary>Time since the cell was programmed (drift), in seconds on the chip's clock.</summary>
    public double? ElapsedSeconds { get; init; }

    public bool? Formed { get; init; }

    /// <summary>The chip's timestamp of the operation.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The session (start or resume) that took it.</summary>
    public int Session { get; init; }

    /// <summary>Null for a confirmed pulse and for reads; for a pulse whose exchange failed, whether it was applied.</summary>
    public UncertainOutcome? Uncertain { get; init; }

    /// <summary>Whether the record stands for a pulse that reached the cell (confirmed, or uncertain but shown applied).</summary>
    public bool IsAppliedPulse => Kind is MeasurementKind.Pulse or MeasurementKind.Form && Uncertain is null or UncertainOutcome.Applied;

    public static Measurement FromPulse(RecordKey key, string role, PulseResult p, double? targetS = null) => new()
    {
        Key = key,
        Kind = MeasurementKind.Pulse,
        Role = role,
        Polarity = p.Pulse.Polarity,
        VoltageV = p.Pulse.AmplitudeV,
        WidthSeconds = p.Pulse.WidthSeconds,
        GateVoltageV = p.Pulse.GateVoltageV,
        ComplianceA = p.Pulse.ComplianceA,
        TargetS = targetS,
        Timestamp = p.Timestamp,
    };

    /// <summary>A programming pulse whose exchange failed: stored with what is known of whether it was applied.</summary>
    public static Measurement FromUncertainPulse(RecordKey key, string role, ProgramPulse pulse, UncertainPulseException failure, double? targetS = null) => new()
    {
        Key = key,
        Kind = MeasurementKind.Pulse,
        Role = role,
        Polarity = pulse.Polarity,
        VoltageV = pulse.AmplitudeV,
        WidthSeconds = pulse.WidthSeconds,
        GateVoltageV = pulse.GateVoltageV,
        ComplianceA = pulse.ComplianceA,
        TargetS = targetS,
        Timestamp = failure.Timestamp,
        Uncertain = Outcome(failure),
    };

    /// <summary>A forming pulse whose exchange failed: no current and no formed flag came back.</summary>
    public static Measurement FromUncertainForming(RecordKey key, FormingPulse pulse, UncertainPulseException failure) => new()
    {
        Key = key,
        Kind = MeasurementKind.Form,
        Role = MeasurementRoles.Form,
        VoltageV = pulse.AmplitudeV,
        WidthSeconds = pulse.WidthSeconds,
        GateVoltageV = pulse.GateVoltageV,
        ComplianceA = pulse.ComplianceA,
        Timestamp = failure.Timestamp,
        Uncertain = Outcome(failure),
    };

    public static Measurement FromRead(RecordKey key, string role, double readVoltageV, double currentA, DateTimeOffset timestamp, double? targetS = null, double? elapsedSeconds = null) => new()
    {
        Key = key,
        Kind = MeasurementKind.Read,
        Role = role,
        VoltageV = readVoltageV,
        CurrentA = currentA,
        ConductanceS = currentA / readVoltageV,
        TargetS = targetS,
        ElapsedSeconds = elapsedSeconds,
        Timestamp = timestamp,
    };

    public static Measurement FromForming(RecordKey key, FormingResult f) => new()
    {
        Key = key,
        Kind = MeasurementKind.Form,
        Role = MeasurementRoles.Form,
        VoltageV = f.Pulse.AmplitudeV,
        WidthSeconds = f.Pulse.WidthSeconds,
        GateVoltageV = f.Pulse.GateVoltageV,
        ComplianceA = f.Pulse.ComplianceA,
        CurrentA = f.CurrentA,
        Formed = f.Formed,
        Timestamp = f.Timestamp,
    };

    private static UncertainOutcome Outcome(UncertainPulseException failure) => failure.Applied switch
    {
        true => UncertainOutcome.Applied,
        false => UncertainOutcome.NotApplied,
        null => UncertainOutcome.Unknown,
    };
}

/// <summary>The outcome of one unit of work, written in the same transaction as its measurements.</summary>
public sealed record UnitResult
{
    public required UnitKey Key { get; init; }

    /// <summary>converged, not-converged, ok, stuck-on, stuck-off, formed, not-formed, read.</summary>
    public required string Outcome { get; init; }

    public double? TargetS { get; init; }

    /// <summary>The unit's resulting conductance (the final read), when it has one.</summary>
    public double? ValueS { get; init; }

    public int Pulses { get; init; }

    public int Session { get; init; }
}

/// <summary>The run a database holds: its id, plan and provenance.</summary>
public sealed record RunInfo
{
    public required string RunId { get; init; }

    public required string Name { get; init; }

    public required DateTimeOffset CreatedUtc { get; init; }

    public required string PlanJson { get; init; }

    public required string PlanHash { get; init; }

    public required RunProvenance Provenance { get; init; }

    public DateTimeOffset? FinishedUtc { get; init; }

    public int Sessions { get; init; }
}
