namespace CimHil.Server.Operations;

/// <summary>Where an operation is in its life.</summary>
public enum OperationStatus
{
    Running,

    /// <summary>Stop was asked; the operation ends at its next commit (characterisation) or at once.</summary>
    Stopping,

    /// <summary>Stopped on request: the chip is in its safe state and the run can be resumed.</summary>
    Stopped,

    Finished,

    Failed,
}
