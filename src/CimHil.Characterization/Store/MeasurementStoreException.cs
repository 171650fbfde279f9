namespace CimHil.Characterization.Store;

/// <summary>The file is not a CimHil measurement database, is damaged, or does not hold what the caller asked for.</summary>
public sealed class MeasurementStoreException : Exception
{
    public MeasurementStoreException(string path, string problem)
        : base($"{path}: {problem}")
    {
        StorePath = path;
    }

    public MeasurementStoreException(string path, string problem, Exception inner)
        : base($"{path}: {problem}", inner)
    {
        StorePath = path;
    }

    public string StorePath { get; }
}
