namespace CimHil.Instruments.Analyzer;

/// <summary>
/// One 4225-PMU spot-mean record of a pulse top: the mean voltage (V) and current (A) over the measurement window, the
/// timestamp (s) and the status word (0 when no range or limit flag is set; 4200A-SCS reference manual, ":PMU:DATA:GET").
/// </summary>
public sealed record PmuSpotReading(double VoltageV, double CurrentA, double TimeSeconds, long Status);
