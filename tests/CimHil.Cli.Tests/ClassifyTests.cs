using CimHil.Core.Safety;
using CimHil.Instruments;

namespace CimHil.Cli.Tests;

/// <summary>Exception → exit code and one line, for the failures no command line reaches easily.</summary>
public class ClassifyTests
{
    [Fact]
    public void AggregateOfSeveralErrors_TakesTheFirstErrorsCode_AndTellsThemAll()
    {
        var timeout = new InstrumentTimeoutException("B1500", "'CL'", TimeSpan.FromSeconds(2));
        var ex = new AggregateException("the B1500 bench did not confirm its safe state", timeout, new IOException("matrix: link dropped"));

        var (code, message) = CommandRunner.Classify(ex);

        Assert.Equal(ExitCodes.InstrumentError, code);
        Assert.Equal("the B1500 bench did not confirm its safe state: B1500: 'CL' timed out after 2 s (transport.timeoutSeconds); then: matrix: link dropped", message);
    }

    [Fact]
    public void AggregateWithoutOwnMessage_SafetyFirst_Is4()
    {
        var (code, message) = CommandRunner.Classify(new AggregateException(new SafetyLimitException("read", "read voltage", 0.9, 0.5, "V"), new IOException("x")));

        Assert.Equal(ExitCodes.SafetyRefused, code);
        Assert.Equal("read refused: read voltage 0.9 V exceeds the maximum 0.5 V; nothing was applied; then: x", message);
    }

    [Fact]
    public void UnknownWrapperAroundAnInstrumentError_TakesTheCausesCode()
    {
        var ex = new InvalidOperationException("reading the clock failed", new InstrumentTimeoutException("BOARD", "'SYST:CLOC?'", TimeSpan.FromSeconds(2)));

        var (code, message) = CommandRunner.Classify(ex);

        Assert.Equal(ExitCodes.InstrumentError, code);
        Assert.Equal("reading the clock failed (BOARD: 'SYST:CLOC?' timed out after 2 s (transport.timeoutSeconds))", message);
    }

    [Fact]
    public void UnknownException_IsAnInternalError()
    {
        Assert.Equal(ExitCodes.InternalError, CommandRunner.Classify(new InvalidOperationException("bug")).Code);
        Assert.Equal(ExitCodes.InternalError, CommandRunner.Classify(new InvalidOperationException("bug", new ArgumentException("between our calls"))).Code);
    }

    [Fact]
    public void MissingNativeLibrary_Is3_WithTheLibrarysMessage()
    {
        var (code, message) = CommandRunner.Classify(new DllNotFoundException("no VISA library found; install NI-VISA"));

        Assert.Equal((ExitCodes.BadInput, "no VISA library found; install NI-VISA"), (code, message));
    }

    [Fact]
    public void ArgumentOutOfRange_LosesTheParameterNameAndSecondLine()
    {
        var (code, message) = CommandRunner.Classify(new ArgumentOutOfRangeException("row", -1, "row -1 must be ≥ 0"));

        Assert.Equal((ExitCodes.Usage, "row -1 must be ≥ 0"), (code, message));
    }
}
