namespace CimHil.Instruments.Wgfmu;

/// <summary>WGFMU current measurement ranges (WGFMU_setMeasureCurrentRange).</summary>
public enum WgfmuMeasureCurrentRange
{
    Range1uA,
    Range10uA,
    Range100uA,
    Range1mA,
    Range10mA,
}
