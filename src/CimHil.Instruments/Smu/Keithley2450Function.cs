namespace CimHil.Instruments.Smu;

/// <summary>What a Keithley 2450 sources or measures (<c>:SOUR:FUNC</c>, <c>:SENS:FUNC</c>).</summary>
public enum Keithley2450Function
{
    Voltage,
    Current,
}
