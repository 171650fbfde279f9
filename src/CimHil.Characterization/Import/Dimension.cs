namespace CimHil.Characterization.Import;

/// <summary>What a unit measures; a field accepts only the dimensions it can hold.</summary>
public enum Dimension
{
    Resistance,
    Conductance,
    Current,
    Voltage,
    Time,
    Temperature,
}
