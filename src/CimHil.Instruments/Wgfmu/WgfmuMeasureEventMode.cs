namespace CimHil.Instruments.Wgfmu;

/// <summary>Whether a measure event returns every sample or their average (WGFMU_setMeasureEvent rawData argument).</summary>
public enum WgfmuMeasureEventMode
{
    Averaged,
    Raw,
}
