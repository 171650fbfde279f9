using CimHil.Characterization.Store;

namespace CimHil.Server.Runs;

/// <summary>A stored record flattened to one row (the store's columns, SI units), as the API and the Python client's DataFrame have it.</summary>
public sealed record MeasurementRow(
    string Procedure,
    int Row,
    int Column,
    int Step,
    int Seq,
    string Kind,
    string Role,
    string? Polarity,
    double? VoltageV,
    double? WidthSeconds,
    double? GateVoltageV,
    double? ComplianceA,
    double? CurrentA,
    double? ConductanceS,
    double? TargetS,
    double? ElapsedSeconds,
    bool? Formed,
    DateTimeOffset Timestamp,
    int Session,
    string? Uncertain)
{
    public static MeasurementRow Of(Measurement m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new MeasurementRow(
            m.Key.Procedure, m.Key.Row, m.Key.Column, m.Key.Step, m.Key.Seq, m.Kind.ToString().ToLowerInvariant(), m.Role,
            m.Polarity?.ToString().ToLowerInvariant(), m.VoltageV, m.WidthSeconds, m.GateVoltageV, m.ComplianceA, m.CurrentA,
            m.ConductanceS, m.TargetS, m.ElapsedSeconds, m.Formed, m.Timestamp, m.Session, m.Uncertain?.ToString().ToLowerInvariant());
    }
}
