namespace CimHil.Simulation.MonteCarlo;

/// <summary>The spelling of <see cref="ComputeDevice"/> on the command line and in hil-config.json.</summary>
public static class ComputeDeviceNames
{
    /// <summary>The accepted names, for help texts and errors.</summary>
    public const string Accepted = "cpu, cuda or auto";

    /// <summary>Parses cpu | cuda | auto (case-insensitive); null when <paramref name="text"/> is none of them.</summary>
    public static ComputeDevice? TryParse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "cpu" => ComputeDevice.Cpu,
        "cuda" or "gpu" => ComputeDevice.Cuda,
        "auto" => ComputeDevice.Auto,
        _ => null,
    };
}
