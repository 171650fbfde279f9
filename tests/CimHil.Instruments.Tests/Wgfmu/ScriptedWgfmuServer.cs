using System.Collections.Concurrent;
using CimHil.Emulator.Instruments;
using Serilog.Core;

namespace CimHil.Instruments.Tests.Wgfmu;

/// <summary>
/// The far end of the WGFMU stand-in for library tests: records every call line (through <see cref="LineInstrumentServer"/>)
/// and answers with canned replies per function, "0" for everything else. A scripted failure returns its status and then
/// serves its text to getErrorSize/getError, as the emulator and the vendor library do.
/// </summary>
internal sealed class ScriptedWgfmuServer : ILineInstrument, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, string> _replies = new(StringComparer.Ordinal);
    private readonly LineInstrumentServer _server;
    private (string Function, int Status, string Text)? _failure;
    private string _lastError = "";
    private int _disposed;

    public ScriptedWgfmuServer()
    {
        _server = new LineInstrumentServer(this, Logger.None);
        _server.Start();
    }

    /// <summary>The address WGFMU_openSession takes.</summary>
    public string Address => _server.ResourceString;

    public IReadOnlyList<string> Received => _server.Received;

    public void ClearTranscript() => _server.ClearTranscript();

    /// <summary>Answers every call of <paramref name="function"/> with <paramref name="reply"/> (status and outputs).</summary>
    public void Reply(string function, string reply) => _replies[function] = reply;

    /// <summary>The next call of <paramref name="function"/> fails with <paramref name="status"/> and error text <paramref name="text"/>.</summary>
    public void Fail(string function, int status, string text) => _failure = (function, status, text);

    public Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        var function = message.Split(' ', 2)[0];
        if (_failure is { } f && f.Function == function)
        {
            _failure = null;
            _lastError = f.Text;
            return Task.FromResult<string?>(f.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        string reply = function switch
        {
            "WGFMU_getErrorSize" => $"0 {_lastError.Length}",
            "WGFMU_getError" => $"0 {_lastError.Length} {_lastError}",
            _ => _replies.TryGetValue(function, out var canned) ? canned : "0",
        };
        if (function == "WGFMU_getError")
        {
            _lastError = "";
        }

        return Task.FromResult<string?>(reply);
    }

    /// <summary>Stops listening and drops the link (idempotent: tests drop the link early on purpose).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? _server.DisposeAsync() : ValueTask.CompletedTask;
}
