using System.Text.Json;

namespace CimHil.Server.Endpoints;

/// <summary>
/// POST /api/workflows/{kind}: what to start. <see cref="Resume"/> names a run folder to continue (stopped or
/// interrupted); a new characterisation takes a plan file (<see cref="Plan"/>) or the plan itself (<see cref="PlanJson"/>).
/// </summary>
public sealed record WorkflowRequest(
    string? Plan = null,
    JsonElement? PlanJson = null,
    string? Resume = null,
    string? Run = null,
    bool ResumeOnNewChip = false);
