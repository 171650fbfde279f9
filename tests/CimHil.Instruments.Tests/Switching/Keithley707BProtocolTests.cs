using CimHil.Instruments.Scpi;
using CimHil.Instruments.Switching;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Switching;

/// <summary>The 707B's TSP statements, each followed by its error-queue check, against a scripted transport.</summary>
public sealed class Keithley707BProtocolTests
{
    private static (Keithley707B Matrix, ScriptedTransport Script) Matrix(params (string Write, string? Reply)[] script)
    {
        var (session, transport) = ScriptedTransport.Session(Keithley707B.SessionOptions, script);
        return (new Keithley707B(session), transport);
    }

    [Fact]
    public async Task ClearErrors_ThenOpenAll_EachCheckTheErrorQueue()
    {
        var (matrix, script) = Matrix(
            ("errorqueue.clear()", null), ("print(errorqueue.count)", "0"),
            ("channel.open(\"allslots\")", null), ("print(errorqueue.count)", "0.00000e+00"));

        await matrix.ClearErrorsAsync(CancellationToken.None);
        await matrix.OpenAllAsync(CancellationToken.None);

        script.AssertConsumed();
    }

    [Fact]
    public async Task ExclusiveClose_NamesEachCrosspointAsThe707BDoes()
    {
        var (matrix, script) = Matrix(("channel.exclusiveclose(\"1A02,2B03,1C01\")", null), ("print(errorqueue.count)", "0"));

        await matrix.ExclusiveCloseAsync([new(1, 'A', 2), new(2, 'B', 3), new(1, 'C', 1)], CancellationToken.None);

        script.AssertConsumed();
    }

    [Fact]
    public async Task QueuedErrors_AreReadAndRaisedWithTheStatement()
    {
        var (matrix, script) = Matrix(
            ("channel.exclusiveclose(\"3A02\")", null), ("print(errorqueue.count)", "2"),
            ("print(errorqueue.next())", "-222\tParameter data out of range\t2\t0"),
            ("print(errorqueue.next())", "-285\tTSP syntax error\t2\t0"));

        var error = await Assert.ThrowsAsync<ScpiErrorException>(() => matrix.ExclusiveCloseAsync([new(3, 'A', 2)], CancellationToken.None));

        Assert.Equal(-222, error.Code);
        Assert.Equal("channel.exclusiveclose(\"3A02\")", error.Command);
        Assert.Equal([-222, -285], error.AllErrors.Select(e => e.Code));
        script.AssertConsumed();
    }

    [Fact]
    public async Task Identify()
    {
        var (matrix, script) = Matrix(("*IDN?", "Keithley Instruments Inc., Model 707B, 1234567, 1.2.0"));

        Assert.Equal("Model 707B", (await matrix.IdentifyAsync(CancellationToken.None)).Model.Trim());
        script.AssertConsumed();
    }

    [Theory]
    [InlineData(7, 'A', 1)]
    [InlineData(1, 'I', 1)]
    [InlineData(1, 'A', 13)]
    public async Task ACrosspointOutsideTheMainframe_IsRefusedBeforeAnythingIsSent(int slot, char row, int column)
    {
        var (matrix, script) = Matrix();

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => matrix.ExclusiveCloseAsync([new(slot, row, column)], CancellationToken.None));

        Assert.Equal(0, script.Played);
    }
}
