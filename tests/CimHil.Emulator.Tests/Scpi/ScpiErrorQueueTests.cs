using CimHil.Emulator.Scpi;

namespace CimHil.Emulator.Tests.Scpi;

/// <summary>The error queue (SCPI-99 vol. 2 section 21.8) and the Standard Event Status Register (IEEE 488.2 section 11.5.1).</summary>
public sealed class ScpiErrorQueueTests
{
    [Fact]
    public void Overflow_TheLastOfThe32EntriesIsMinus350_AndLaterErrorsAreLost()
    {
        var queue = new ScpiErrorQueue();
        for (var i = 1; i <= 40; i++)
        {
            queue.Push(-100 - i, $"Error {i}");
        }

        Assert.Equal(32, queue.Count);
        var entries = Enumerable.Range(0, 32).Select(_ => queue.Next()).ToList();
        Assert.Equal(Enumerable.Range(1, 31).Select(i => $"{-100 - i},\"Error {i}\""), entries[..31]);
        Assert.Equal("-350,\"Queue overflow\"", entries[31]);
        Assert.Equal("0,\"No error\"", queue.Next());
    }

    [Fact]
    public void Overflow_WithoutTheOverflowEntry_KeepsTheFirst32()
    {
        var queue = new ScpiErrorQueue(overflowEntry: false);
        for (var i = 1; i <= 40; i++)
        {
            queue.Push(100 + i, $"Error {i}");
        }

        var entries = Enumerable.Range(0, 32).Select(_ => queue.Next("No Error.")).ToList();
        Assert.Equal("132,\"Error 32\"", entries[31]);
        Assert.Equal("0,\"No Error.\"", queue.Next("No Error."));
    }

    [Theory]
    [InlineData(-113, 0x20)] // command error
    [InlineData(-222, 0x10)] // execution error
    [InlineData(-363, 0x08)] // device-dependent error
    [InlineData(-430, 0x04)] // query error
    [InlineData(100, 0x08)]  // an instrument's own positive code: device-dependent
    public void Push_SetsTheEventStatusBitOfTheErrorClass(int code, int bit)
    {
        var queue = new ScpiErrorQueue();

        queue.Push(code, "x");

        Assert.Equal(0x04 | 0x20, queue.StatusByte);
        Assert.Equal(bit, queue.ReadEventStatus());
        Assert.Equal(0, queue.ReadEventStatus());
        Assert.Equal(0x04, queue.StatusByte);
    }

    [Fact]
    public void EventStatus_AccumulatesBitsUntilRead_AndClearEmptiesBoth()
    {
        var queue = new ScpiErrorQueue();
        queue.Push(-113, "a");
        queue.Push(-222, "b");

        queue.Clear();

        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.StatusByte);
        queue.Push(-113, "a");
        queue.Push(-222, "b");
        Assert.Equal(0x30, queue.ReadEventStatus());
    }

    [Fact]
    public void Push_CutsTextLongerThan255CharactersWithAnEllipsis()
    {
        var queue = new ScpiErrorQueue();

        queue.Push(-113, "Undefined header;" + new string('X', 1000));

        var expected = "Undefined header;" + new string('X', 255 - 3 - 17) + "...";
        Assert.Equal(255, expected.Length);
        Assert.Equal($"-113,\"{expected}\"", queue.Next());
    }

    [Fact]
    public void Next_TurnsQuotesInTheTextIntoApostrophes()
    {
        var queue = new ScpiErrorQueue();

        queue.Push(120, "Incorrect parameter value. CL \"1\"");

        Assert.Equal("120,\"Incorrect parameter value. CL '1'\"", queue.Next());
    }
}
