namespace CimHil.Characterization;

/// <summary>Progress of the running procedure: units of work done out of the total.</summary>
public sealed record CharacterizationProgress(string Procedure, int UnitsDone, int UnitsTotal);
