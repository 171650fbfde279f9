using System.Text;
using CimHil.Emulator.Scpi;

namespace CimHil.Emulator.Tests.Scpi;

/// <summary>LF framing with the input cap (-363), on an in-memory stream read in small pieces.</summary>
public sealed class ProgramMessageReaderTests
{
    private readonly List<(int Code, string Message)> _errors = [];

    private async Task<List<string>> ReadAllAsync(string input, int maxMessageBytes, int bufferBytes)
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(input));
        var reader = new ProgramMessageReader(stream, maxMessageBytes, (code, message) => _errors.Add((code, message)), bufferBytes);
        var messages = new List<string>();
        while (await reader.ReadAsync(CancellationToken.None) is { } message)
        {
            messages.Add(message);
        }

        return messages;
    }

    [Fact]
    public async Task Messages_EndAtLf_ACrBeforeItIsDropped_AnUnfinishedLastLineIsNotAMessage()
    {
        Assert.Equal(["*IDN?", "A;B", ""], await ReadAllAsync("*IDN?\r\nA;B\n\npartial", 256, 3));
        Assert.Empty(_errors);
    }

    [Fact]
    public async Task AMessageLongerThanTheCap_IsDiscardedWholeWithOneMinus363_AndTheNextIsRead()
    {
        var messages = await ReadAllAsync(new string('X', 300) + "\n*OPC?\n", 256, 7);

        Assert.Equal(["*OPC?"], messages);
        Assert.Equal([(-363, "Input buffer overrun;message longer than 256 bytes, discarded unexecuted")], _errors);
    }

    [Fact]
    public async Task AMessageOfExactlyTheCap_PlusItsCr_IsRead()
    {
        var exact = new string('Y', 256);

        Assert.Equal([exact], await ReadAllAsync(exact + "\r\n", 256, 5));
        Assert.Empty(_errors);
    }

    [Fact]
    public async Task DiscardBuffered_DropsTheRestOfWhatWasRead()
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes("A\nB\nC\n"));
        var reader = new ProgramMessageReader(stream, 256, (_, _) => { }, 64);

        Assert.Equal("A", await reader.ReadAsync(CancellationToken.None));
        reader.DiscardBuffered();

        Assert.Null(await reader.ReadAsync(CancellationToken.None));
    }
}
