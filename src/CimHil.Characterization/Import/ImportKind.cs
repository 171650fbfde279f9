namespace CimHil.Characterization.Import;

/// <summary>Which kind of measurement a foreign file holds; it decides the procedure and role the events are stored under.</summary>
public enum ImportKind
{
    /// <summary>Program-and-verify results: stored as multilevel "final" reads, one unit per cell and level.</summary>
    ProgramVerify,

    /// <summary>Retention or relaxation reads over time or across a bake: stored as drift "drift" reads.</summary>
    Retention,

    /// <summary>Repeated reads of programmed cells: stored as readNoise "noise" reads.</summary>
    ReadNoise,

    /// <summary>Reads across endurance cycles: stored as cycling "cycle" reads, one step per cycle.</summary>
    Cycling,
}
