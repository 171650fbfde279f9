using CimHil.Core.Config;

namespace CimHil.Characterization.Import;

/// <summary>Values for fields the file does not carry, in SI units; a mapped column wins over a constant.</summary>
public sealed record ImportConstants
{
    public double? ReadVoltageV { get; init; }

    public double? TargetS { get; init; }

    public double? ElapsedSeconds { get; init; }

    public double? TemperatureK { get; init; }

    public string? Phase { get; init; }

    public bool? Verified { get; init; }

    internal static ImportConstants Parse(JsonSection s)
    {
        s.AllowOnly("readVoltageV", "targetS", "elapsedSeconds", "temperatureK", "phase", "verified");
        return new ImportConstants
        {
            ReadVoltageV = s.Has("readVoltageV") ? s.Positive("readVoltageV") : null,
            TargetS = s.Has("targetS") ? s.Positive("targetS") : null,
            ElapsedSeconds = s.OptionalDouble("elapsedSeconds", 0, null),
            TemperatureK = s.OptionalDouble("temperatureK", 0, null),
            Phase = s.OptionalString("phase"),
            Verified = s.Has("verified") ? s.Bool("verified", true) : null,
        };
    }
}
