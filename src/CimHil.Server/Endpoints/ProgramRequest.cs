namespace CimHil.Server.Endpoints;

/// <summary>POST /api/chip/program: one SET or RESET pulse at one cell, read before and after (as <c>cimhil program</c>).</summary>
public sealed record ProgramRequest(
    int? Row,
    int? Column,
    string? Polarity,
    double? AmplitudeV,
    double? WidthSeconds = null,
    double? GateVoltageV = null,
    double? ComplianceA = null,
    double? ReadVoltageV = null);
