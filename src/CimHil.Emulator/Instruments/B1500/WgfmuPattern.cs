namespace CimHil.Emulator.Instruments.B1500;

/// <summary>A WGFMU pattern: a piecewise-linear voltage waveform from its initial voltage, and its measure events.</summary>
internal sealed class WgfmuPattern(double initialV)
{
    public double InitialV { get; } = initialV;

    /// <summary>(time from the pattern start, voltage) after each vector.</summary>
    public List<(double T, double V)> Points { get; } = [];

    public List<WgfmuMeasureEvent> Events { get; } = [];

    public double Duration => Points.Count == 0 ? 0 : Points[^1].T;
}
