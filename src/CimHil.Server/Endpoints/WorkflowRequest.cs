using System.Text.Json;

namespace CimHil.Server.Endpoints;

/// <summary>
/// POST /api/workflows/{kind}: what to start. <see cref="Resume"/> names a run folder to continue (stopped or
/// interrupted); a new characterisation takes a plan file (<see cref="Plan"/>) or the plan itself (<see cref="PlanJson"/>);
/// calibrate, evaluate and worst-case name the <see cref="Run"/> they work on, evaluate and worst-case may scale down the
/// configured evaluation (<see cref="Chips"/>, <see cref="Images"/>, <see cref="Ks"/>); import takes <see cref="Files"/>
/// and a mapping file <see cref="Map"/> (docs/import.md).
/// </summary>
public sealed record WorkflowRequest(
    string? Plan = null,
    JsonElement? PlanJson = null,
    string? Resume = null,
    string? Run = null,
    bool ResumeOnNewChip = false,
    int? Chips = null,
    int? Images = null,
    double[]? Ks = null,
    string[]? Files = null,
    string? Map = null,
    bool SkipBadRows = false,
    string? Name = null);
