using System.Text;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Xunit.Sdk;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// A transport that plays an instrument from a script (PyMeasure's <c>expected_protocol</c>): each step is the exact message
/// the class under test must write (without the terminator) and the reply lines the instrument sends back (null: none).
/// The first write that differs fails with the step, the expected and the actual text; <see cref="AssertConsumed"/> fails
/// when steps are left over. No socket, no clock: protocol tests run in memory.
/// </summary>
internal sealed class ScriptedTransport(IReadOnlyList<(string Write, string? Reply)> script) : ITransport
{
    private readonly Queue<byte> _replies = new();
    private int _step;

    public string Resource => "SCRIPT::INSTR";

    public bool IsOpen { get; private set; } = true;

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The steps played so far.</summary>
    public int Played => _step;

    /// <summary>A session over a script, with the default SCPI options unless <paramref name="options"/> says otherwise.</summary>
    public static (ScpiSession Session, ScriptedTransport Script) Session(ScpiSessionOptions? options, params (string Write, string? Reply)[] script)
    {
        var transport = new ScriptedTransport(script);
        return (new ScpiSession(transport, BoardFixture.FastConfig, BoardFixture.Logger, options), transport);
    }

    /// <summary>The step of a confirmed setting: the command, <c>*OPC?</c> and the error query in one write, answered 1 and no error.</summary>
    public static (string Write, string? Reply) Setting(string command, string errorQuery = "SYST:ERR?", string noError = "0,\"No error\"") =>
        ($"{command}\n*OPC?\n{errorQuery}", $"1\n{noError}");

    public ValueTask OpenAsync(CancellationToken cancellationToken)
    {
        IsOpen = true;
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var actual = Encoding.ASCII.GetString(data.Span);
        if (_step >= script.Count)
        {
            throw new XunitException($"the script has {script.Count} steps, but the class wrote a further message: '{Escape(actual)}'");
        }

        var (write, reply) = script[_step];
        if (actual != write + "\n")
        {
            throw new XunitException($"step {_step + 1} of {script.Count}: expected the write '{Escape(write + "\n")}' but got '{Escape(actual)}'");
        }

        _step++;
        foreach (var b in reply is null ? [] : Encoding.ASCII.GetBytes(reply + "\n"))
        {
            _replies.Enqueue(b);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        while (true)
        {
            if (!_replies.TryDequeue(out var b))
            {
                throw new XunitException($"after step {_step} of {script.Count} the class reads a reply the script does not have");
            }

            if (b == terminator)
            {
                return ValueTask.FromResult(line.ToArray());
            }

            line.Add(b);
        }
    }

    public ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        if (_replies.Count < count)
        {
            throw new XunitException($"after step {_step} of {script.Count} the class reads {count} bytes; the script has {_replies.Count}");
        }

        return ValueTask.FromResult(Enumerable.Range(0, count).Select(_ => _replies.Dequeue()).ToArray());
    }

    public ValueTask ClearAsync(CancellationToken cancellationToken)
    {
        _replies.Clear();
        return ValueTask.CompletedTask;
    }

    public ValueTask CloseAsync()
    {
        IsOpen = false;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Fails unless every step was played and every reply read.</summary>
    public void AssertConsumed()
    {
        if (_step != script.Count)
        {
            throw new XunitException($"{script.Count - _step} of {script.Count} steps were not played; the next expects '{Escape(script[_step].Write + "\n")}'");
        }

        if (_replies.Count > 0)
        {
            throw new XunitException($"{_replies.Count} reply bytes were never read: '{Escape(Encoding.ASCII.GetString([.. _replies]))}'");
        }
    }

    private static string Escape(string text) => text.Replace("\n", "\\n", StringComparison.Ordinal);
}
