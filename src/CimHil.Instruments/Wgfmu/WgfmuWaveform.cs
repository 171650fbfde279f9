namespace CimHil.Instruments.Wgfmu;

/// <summary>
/// One waveform pair for a B1530A's two channels: channel 1 plays <c>0 V → ramp → LevelV → flat → ramp → 0 V</c>; channel 2
/// holds 0 V as long and, when <see cref="SampleAtSeconds"/> is set, samples the current there, averaged over <see cref="AverageSeconds"/>.
/// </summary>
public sealed record WgfmuWaveform
{
    /// <summary>Name of channel 1's pattern (channel 2's is <c>hold</c>).</summary>
    public required string Pattern { get; init; }

    public required double LevelV { get; init; }

    /// <summary>Duration of each edge.</summary>
    public required double RampSeconds { get; init; }

    /// <summary>Duration of the flat top.</summary>
    public required double FlatSeconds { get; init; }

    /// <summary>Channel 1's force range: one that holds <see cref="LevelV"/>.</summary>
    public required WgfmuForceVoltageRange ForceRange { get; init; }

    /// <summary>Channel 2's current measurement range.</summary>
    public required WgfmuMeasureCurrentRange CurrentRange { get; init; }

    /// <summary>When channel 2 samples, from the start of the pattern; null for no sample.</summary>
    public double? SampleAtSeconds { get; init; }

    public double AverageSeconds { get; init; }
}
