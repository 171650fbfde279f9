using CimHil.Instruments.Scpi;
using CimHil.Instruments.Smu;
using CimHil.Instruments.Transports.Serial;

namespace CimHil.Instruments.Tests.Scpi;

/// <summary>Which byte ends messages on a serial line: the configured termination, else the instrument family's, else LF.</summary>
public sealed class SerialTerminationTests
{
    private const byte Lf = (byte)'\n';
    private const byte Cr = (byte)'\r';

    [Fact]
    public void NothingConfigured_TheFamilysTerminationEndsBothWays()
    {
        var options = new ScpiSessionOptions { SerialTermination = Cr }.OnSerialLine(SerialSettings.Default);

        Assert.Equal((Cr, (byte?)Cr), (options.Terminator, options.WriteTerminator));
    }

    [Fact]
    public void NoFamilyTermination_IsLf()
    {
        var options = ScpiSessionOptions.Default.OnSerialLine(SerialSettings.Default);

        Assert.Equal((Lf, (byte?)Lf), (options.Terminator, options.WriteTerminator));
    }

    [Fact]
    public void ConfiguredTermination_OverridesTheFamilys_BothWays()
    {
        var options = new ScpiSessionOptions { SerialTermination = Lf }.OnSerialLine(SerialSettings.Default with { Termination = Cr });

        Assert.Equal((Cr, (byte?)Cr), (options.Terminator, options.WriteTerminator));
    }

    [Fact]
    public void WriteTermination_EndsMessagesSent_TheTerminationEndsReplies()
    {
        var options = ScpiSessionOptions.Default.OnSerialLine(SerialSettings.Default with { Termination = Lf, WriteTermination = Cr });

        Assert.Equal((Lf, (byte?)Cr), (options.Terminator, options.WriteTerminator));
    }

    [Fact]
    public void Keithley2600B_DeclaresLf_AsItsManualSays()
    {
        Assert.Equal(Lf, Keithley2600B.SessionOptions.OnSerialLine(SerialSettings.Default).Terminator);
    }

    [Fact]
    public void WriteTermination_IsReadFromTransportSerial_AndAWrongOneNamesItsPath()
    {
        var section = CimHil.Core.Config.JsonSection.Parse("""{ "serial": { "writeTermination": "cr" } }""", "hil-config.json").Section("serial");

        Assert.Equal((byte?)Cr, SerialSettings.FromConfig(section).WriteTermination);
        Assert.Null(SerialSettings.FromConfig(section).Termination);
        var bad = CimHil.Core.Config.JsonSection.Parse("""{ "serial": { "writeTermination": "crlf" } }""", "hil-config.json").Section("serial");
        Assert.Contains("serial.writeTermination", Assert.Throws<CimHil.Core.Config.ConfigException>(() => SerialSettings.FromConfig(bad)).Message, StringComparison.Ordinal);
    }
}
