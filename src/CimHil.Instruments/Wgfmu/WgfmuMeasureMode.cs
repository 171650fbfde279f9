namespace CimHil.Instruments.Wgfmu;

/// <summary>What a WGFMU channel samples (WGFMU_setMeasureMode).</summary>
public enum WgfmuMeasureMode
{
    Voltage,
    Current,
}
