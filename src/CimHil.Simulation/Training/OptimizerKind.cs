namespace CimHil.Simulation.Training;

/// <summary>Which optimizer the trainer builds.</summary>
public enum OptimizerKind
{
    /// <summary><see cref="Training.Adam"/>.</summary>
    Adam,

    /// <summary><see cref="Sgd"/> with momentum.</summary>
    Sgd,
}
