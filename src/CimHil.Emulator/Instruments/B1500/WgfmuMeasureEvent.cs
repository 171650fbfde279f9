namespace CimHil.Emulator.Instruments.B1500;

/// <summary>A WGFMU_setMeasureEvent: <paramref name="Points"/> samples from <paramref name="Time"/>, <paramref name="Interval"/> apart.</summary>
internal sealed record WgfmuMeasureEvent(string Name, double Time, int Points, double Interval, double Average);
