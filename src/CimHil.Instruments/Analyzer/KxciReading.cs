namespace CimHil.Instruments.Analyzer;

/// <summary>
/// One KXCI reading: status (<c>N</c> normal, <c>C</c> in compliance, others per 4200A-SCS reference manual, "Data format"),
/// channel letter (<c>A</c> = SMU1), measured quantity (<c>I</c> or <c>V</c>) and the value in A or V.
/// </summary>
public sealed record KxciReading(char Status, char Channel, char Quantity, double Value)
{
    /// <summary>True when the SMU was at its compliance during the reading.</summary>
    public bool InCompliance => Status == 'C';
}
