using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Scpi;

/// <summary>Declared controls: the text they write, the values they refuse (before anything is sent) and the replies they read.</summary>
public sealed class ScpiControlTests
{
    private static readonly ScpiControl<double> Level = ScpiControl.Number("source voltage level", ":SOUR:VOLT:LEV {0}", ":SOUR:VOLT:LEV?", "V", new ScpiRange(-210, 210));

    private static readonly ScpiControl<double> Limit = ScpiControl.Number("current limit", ":SOUR:VOLT:ILIM {0}", null, "A", ScpiRange.Positive(1.05));

    private enum Mode
    {
        Fast,
        Slow,
    }

    [Theory]
    [InlineData(1.2, ":SOUR:VOLT:LEV 1.2")]
    [InlineData(-0.5, ":SOUR:VOLT:LEV -0.5")]
    [InlineData(1e-9, ":SOUR:VOLT:LEV 1E-09")]
    [InlineData(0.1 + 0.2, ":SOUR:VOLT:LEV 0.30000000000000004")]
    public void Number_IsWrittenRoundTripExactWithTheInvariantCulture(double value, string command) =>
        Assert.Equal(command, Level.Set(value));

    [Theory]
    [InlineData(211, "source voltage level: 211 V exceeds the maximum 210 V")]
    [InlineData(-300, "source voltage level: -300 V is below the minimum -210 V")]
    [InlineData(double.NaN, "source voltage level: NaN V is not a finite number")]
    public void Number_OutsideItsRange_IsRefusedNamingTheControlTheValueAndTheUnit(double value, string message)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Level.Set(value));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
        Assert.Equal("source voltage level", error.ParamName);
    }

    [Fact]
    public void PositiveRange_RefusesZero() =>
        Assert.StartsWith("current limit: 0 A is below the exclusive minimum 0 A", Assert.Throws<ArgumentOutOfRangeException>(() => Limit.Set(0)).Message, StringComparison.Ordinal);

    [Fact]
    public void AControlWithoutAQuery_CannotBeRead() =>
        Assert.Equal("current limit has no query", Assert.Throws<InvalidOperationException>(() => Limit.QueryText).Message);

    [Fact]
    public void Choice_WritesItsTextAndReadsRepliesIgnoringCaseAndQuotes()
    {
        var control = ScpiControl.Choice("mode", "MODE {0}", "MODE?", new Dictionary<Mode, string> { [Mode.Fast] = "\"FAST\"", [Mode.Slow] = "SLOW" });

        Assert.Equal("MODE \"FAST\"", control.Set(Mode.Fast));
        Assert.Equal(Mode.Fast, control.Parse("fast\r"));
        Assert.Equal(Mode.Slow, control.Parse("\"SLOW\""));
        Assert.Equal("'MEDIUM' is not one of \"FAST\", SLOW (mode)", Assert.Throws<FormatException>(() => control.Parse("MEDIUM")).Message);
    }

    [Fact]
    public void Switch_WritesOnOff_AndReadsOneZero()
    {
        var output = ScpiControl.Switch("output", ":OUTP {0}", ":OUTP?");

        Assert.Equal(":OUTP ON", output.Set(true));
        Assert.Equal(":OUTP OFF", output.Set(false));
        Assert.True(output.Parse("1"));
        Assert.False(output.Parse("OFF"));
        Assert.Throws<FormatException>(() => output.Parse("2"));
    }

    [Fact]
    public void Join_MakesOneProgramMessage() =>
        Assert.Equal(":OUTP ON;:READ?", ScpiControl.Join(":OUTP ON", ":READ?"));

    [Fact]
    public async Task SetAndGet_GoThroughTheSessionAsASettingAndARetriedQuery()
    {
        var (session, script) = ScriptedTransport.Session(null, ScriptedTransport.Setting(":SOUR:VOLT:LEV 0.2"), (":SOUR:VOLT:LEV?", "2.000000E-01"));

        await session.SetAsync(Level, 0.2, CancellationToken.None);
        var read = await session.GetAsync(Level, CancellationToken.None);

        Assert.Equal(0.2, read);
        script.AssertConsumed();
    }

    [Fact]
    public async Task SetAsync_ARefusedValue_SendsNothing()
    {
        var (session, script) = ScriptedTransport.Session(null);

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.SetAsync(Level, 500, CancellationToken.None));

        Assert.Equal(0, script.Played);
        script.AssertConsumed();
    }
}
