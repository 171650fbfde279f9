using CimHil.Instruments.Scpi;
using Xunit.Sdk;

namespace CimHil.Instruments.Tests.Support;

/// <summary>The scripted transport fails where an instrument class strays from its script, so protocol tests can fail.</summary>
public sealed class ScriptedTransportTests
{
    [Fact]
    public async Task AWriteThatDiffers_FailsWithTheStepTheExpectedAndTheActualText()
    {
        var (session, _) = ScriptedTransport.Session(null, ("*IDN?", "A,B,C,D"));

        var error = await Assert.ThrowsAsync<XunitException>(() => session.QueryAsync("*RST?", CancellationToken.None));

        Assert.Equal("step 1 of 1: expected the write '*IDN?\\n' but got '*RST?\\n'", error.Message);
    }

    [Fact]
    public async Task StepsLeftOver_FailAssertConsumed()
    {
        var (session, script) = ScriptedTransport.Session(null, ("*IDN?", "A,B,C,D"), ScriptedTransport.Setting("*RST"));
        await session.IdentifyAsync(CancellationToken.None);

        var error = Assert.Throws<XunitException>(script.AssertConsumed);

        Assert.Equal("1 of 2 steps were not played; the next expects '*RST\\n*OPC?\\nSYST:ERR?\\n'", error.Message);
    }

    [Fact]
    public async Task AReadWithoutAScriptedReply_Fails()
    {
        var (session, _) = ScriptedTransport.Session(new ScpiSessionOptions { ProbeErrorsOnSilentQuery = false }, (":READ?", null));

        var error = await Assert.ThrowsAsync<XunitException>(() => session.QueryAsync(":READ?", CancellationToken.None));

        Assert.Equal("after step 1 of 1 the class reads a reply the script does not have", error.Message);
    }
}
