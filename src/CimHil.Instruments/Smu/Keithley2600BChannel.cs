using CimHil.Instruments.Scpi;

namespace CimHil.Instruments.Smu;

/// <summary>
/// One SMU channel of a Keithley 2600B (<c>smua</c> or <c>smub</c>) and its TSP attributes, declared once with their units
/// and ranges (2600B reference manual 2600BS-901-01, section 11 "TSP command reference": smuX.source.levelv,
/// smuX.source.limiti). The ranges are the family's widest (2636B: 200 V; 2602B/2612B: 3 A DC); the driver's maxima are
/// far inside them, and a model that cannot reach a value refuses it through its error queue.
/// </summary>
public sealed record Keithley2600BChannel
{
    private Keithley2600BChannel(string name)
    {
        Name = name;
        LevelV = ScpiControl.Number($"{name} source voltage", name + ".source.levelv = {0}", $"print({name}.source.levelv)", "V", new ScpiRange(-200, 200));
        LimitA = ScpiControl.Number($"{name} current limit", name + ".source.limiti = {0}", $"print({name}.source.limiti)", "A", new ScpiRange(10e-12, 3));
        Output = new ScpiControl<bool>
        {
            Name = $"{name} output",
            SetFormat = name + ".source.output = {0}",
            Query = $"print({name}.source.output)",
            Format = on => on ? $"{name}.OUTPUT_ON" : $"{name}.OUTPUT_OFF",
            Parse = reply => double.Parse(reply.Trim(), System.Globalization.CultureInfo.InvariantCulture) != 0,
        };
    }

    /// <summary>Channel A: the pulse source and meter.</summary>
    public static Keithley2600BChannel A { get; } = new("smua");

    /// <summary>Channel B (2602B/2612B/2636B): the gate of a 1T1R cell.</summary>
    public static Keithley2600BChannel B { get; } = new("smub");

    /// <summary>The TSP name of the channel (<c>smua</c>).</summary>
    public string Name { get; }

    /// <summary><c>smuX.source.levelv</c>: the DC voltage level (the idle level between pulses).</summary>
    public ScpiControl<double> LevelV { get; }

    /// <summary><c>smuX.source.limiti</c>: the current limit (compliance) of the voltage source.</summary>
    public ScpiControl<double> LimitA { get; }

    /// <summary><c>smuX.source.output</c>: the output relay (smuX.OUTPUT_ON / smuX.OUTPUT_OFF).</summary>
    public ScpiControl<bool> Output { get; }

    /// <summary>Output off, then the source level to 0 V: the channel's safe state.</summary>
    public string OutputOffAtZero => Tsp.TspChunk.Join(Output.Set(false), LevelV.Set(0));

    public override string ToString() => Name;
}
