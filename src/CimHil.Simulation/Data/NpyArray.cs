namespace CimHil.Simulation.Data;

/// <summary>A NumPy array read from an .npy file: its shape, dtype descriptor and values (float32 or int64).</summary>
/// <param name="Shape">Dimensions.</param>
/// <param name="Descr">The dtype descriptor from the header, e.g. "&lt;f4".</param>
/// <param name="Floats">Values of a float32 array, else null.</param>
/// <param name="Int64s">Values of an int64 array, else null.</param>
public sealed record NpyArray(int[] Shape, string Descr, float[]? Floats, long[]? Int64s);
