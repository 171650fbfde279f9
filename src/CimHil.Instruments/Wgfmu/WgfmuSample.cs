namespace CimHil.Instruments.Wgfmu;

/// <summary>One sample returned by WGFMU_getMeasureValues: time from the start of the sequence and the measured value (A or V).</summary>
public readonly record struct WgfmuSample(double TimeSeconds, double Value);
