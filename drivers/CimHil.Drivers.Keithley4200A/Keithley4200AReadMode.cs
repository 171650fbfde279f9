namespace CimHil.Drivers.Keithley4200A;

/// <summary>How the keithley-4200a driver reads a cell (<c>chip.settings.readMode</c>).</summary>
public enum Keithley4200AReadMode
{
    /// <summary>A DC read on the SMU (<c>DV</c>, <c>TI</c>, <c>DV</c> off).</summary>
    Smu,

    /// <summary>A pulsed read on the 4225-PMU: one pulse at the read voltage, its spot-mean current.</summary>
    Pmu,
}
