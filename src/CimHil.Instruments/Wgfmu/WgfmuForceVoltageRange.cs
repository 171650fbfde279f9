namespace CimHil.Instruments.Wgfmu;

/// <summary>WGFMU force voltage ranges (WGFMU_setForceVoltageRange).</summary>
public enum WgfmuForceVoltageRange
{
    Auto,
    Range3V,
    Range5V,
    Range10VNegative,
    Range10VPositive,
}
