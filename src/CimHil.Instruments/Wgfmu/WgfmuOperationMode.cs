namespace CimHil.Instruments.Wgfmu;

/// <summary>WGFMU channel operation modes (B1530A user's guide, WGFMU_setOperationMode).</summary>
public enum WgfmuOperationMode
{
    /// <summary>DC output, measurement with the DC ranges.</summary>
    Dc,

    /// <summary>Arbitrary waveform output with current or voltage sampling (the mode used for pulsed program/read).</summary>
    FastIv,

    /// <summary>Pulse generator: 50 Ω output, voltage sampling only.</summary>
    PulseGenerator,

    /// <summary>The channel's SMU pass-through path (the RSU connects the B1500 SMU instead of the WGFMU).</summary>
    Smu,
}
