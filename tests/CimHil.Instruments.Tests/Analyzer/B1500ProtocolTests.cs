using CimHil.Instruments.Analyzer;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Analyzer;

/// <summary>The B1500A's FLEX messages, with its ERRX? error queue, against a scripted transport.</summary>
public sealed class B1500ProtocolTests
{
    private const string NoError = "0,\"No Error.\"";

    private static (B1500 Mainframe, ScriptedTransport Script) Mainframe(params (string Write, string? Reply)[] script)
    {
        var (session, transport) = ScriptedTransport.Session(B1500.SessionOptions, script);
        return (new B1500(session), transport);
    }

    [Fact]
    public async Task Identify()
    {
        var (mainframe, script) = Mainframe(("*IDN?", "Agilent Technologies,B1500A,0,A.06.01.2019.0515"));

        Assert.Equal("B1500A", (await mainframe.IdentifyAsync(CancellationToken.None)).Model);
        script.AssertConsumed();
    }

    [Fact]
    public async Task Modules_NamesTheModelInEachSlot()
    {
        var (mainframe, script) = Mainframe(("UNT?", "B1511B,0;B1517A,0;B1530A,0;0,0"));

        var modules = await mainframe.ModulesAsync(CancellationToken.None);

        Assert.Equal("B1530A", modules.InSlot(3));
        Assert.Equal("0", modules.InSlot(4));
        Assert.Equal("", modules.InSlot(5));
        Assert.Equal("B1511B,0;B1517A,0;B1530A,0;0,0", modules.Reply);
        script.AssertConsumed();
    }

    [Fact]
    public async Task DisableAll_IsConfirmedThroughErrx()
    {
        var (mainframe, script) = Mainframe(ScriptedTransport.Setting("CL", "ERRX?", NoError));

        await mainframe.DisableAllAsync(CancellationToken.None);

        script.AssertConsumed();
    }

    [Fact]
    public async Task ARejectedCommand_IsReadFromErrx()
    {
        var (mainframe, script) = Mainframe(("CL\n*OPC?\nERRX?", "1\n100,\"Undefined GPIB command.\""), ("ERRX?", NoError));

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => mainframe.DisableAllAsync(CancellationToken.None));

        Assert.Equal(100, error.Code);
        Assert.Equal("CL", error.Command);
        script.AssertConsumed();
    }
}
