namespace CimHil.Emulator.Instruments.B1500;

/// <summary>One emulated WGFMU channel's settings (wgfmu.h constants, B1530A defaults), output and measured samples.</summary>
internal sealed class WgfmuChannel
{
    public int Mode { get; set; } = 2003;

    public int ForceRange { get; set; } = 3000;

    public int MeasureMode { get; set; } = 4000;

    public int CurrentRange { get; set; } = 6004;

    public bool Connected { get; set; }

    public double OutputV { get; set; }

    public List<(string Pattern, int Count)> Sequence { get; } = [];

    public List<(double T, double V)> Samples { get; } = [];
}
