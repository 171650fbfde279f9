using System.Text.Json;

namespace CimHil.Server.Operations;

/// <summary>An operation as the API shows it (GET /api/operation, and the "operation" events).</summary>
public sealed record OperationState
{
    public required string Id { get; init; }

    /// <summary>characterize, run, calibrate.</summary>
    public required string Kind { get; init; }

    public required OperationStatus Status { get; init; }

    /// <summary>The run folder's id under runs/ (resume it with {"resume": Run}), when the operation has one.</summary>
    public string? Run { get; init; }

    public required DateTimeOffset StartedUtc { get; init; }

    public DateTimeOffset? FinishedUtc { get; init; }

    /// <summary>Whether the chip was brought to its safe state (0 V, outputs off) when the operation let go of it; null while it holds it or needs no chip.</summary>
    public bool? SafeState { get; init; }

    /// <summary>Why it failed.</summary>
    public string? Error { get; init; }

    /// <summary>The workflow's result record, serialised as its result file is.</summary>
    public JsonElement? Result { get; init; }
}
