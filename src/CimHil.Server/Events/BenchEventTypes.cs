namespace CimHil.Server.Events;

/// <summary>The event types of the live stream (docs/api.md, "Events").</summary>
public static class BenchEventTypes
{
    /// <summary>An operation started, stopped, finished or failed; the chip reached its safe state.</summary>
    public const string Operation = "operation";

    /// <summary>A workflow's progress record (StageProgress or any record it reports), with an ETA.</summary>
    public const string Stage = "stage";

    /// <summary>Characterisation progress of one procedure, with an ETA.</summary>
    public const string Progress = "progress";

    /// <summary>Measurements and unit results just committed to the store.</summary>
    public const string Stored = "stored";

    /// <summary>A warning or error the workflow logged.</summary>
    public const string Warning = "warning";

    /// <summary>A request or a plan refused by a safety limit; nothing was applied.</summary>
    public const string SafetyRefusal = "safety-refusal";
}
