using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests;

/// <summary><c>cimhil emulator serve</c> run in-process on a free port: its TCP resource, its output, and a clean stop.</summary>
internal sealed partial class ServedBoard : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(4));
    private readonly StringWriter _buffer = new();
    private readonly TextWriter _writer;
    private Task<int> _serving = Task.FromResult(0);

    private ServedBoard() => _writer = TextWriter.Synchronized(_buffer);

    /// <summary>The board's VISA resource string, e.g. TCPIP0::127.0.0.1::40433::SOCKET.</summary>
    public string Resource { get; private set; } = string.Empty;

    /// <summary>Everything the server printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_writer)
            {
                return _buffer.ToString();
            }
        }
    }

    /// <summary>Starts <c>emulator serve --port 0</c> with <paramref name="options"/> and waits for its TCP line.</summary>
    public static async Task<ServedBoard> StartAsync(params string[] options)
    {
        var board = new ServedBoard();
        board._serving = CliApp.RunAsync(["emulator", "serve", "--port", "0", .. options, "--config", CliHarness.ShippedConfig], board._writer, TextWriter.Null, board._stop.Token);
        for (var i = 0; i < 600 && !board._serving.IsCompleted; i++)
        {
            if (TcpLine().Match(board.Output) is { Success: true } m)
            {
                board.Resource = m.Groups[1].Value;
                return board;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"the server never printed its TCP resource: {board.Output}");
    }

    /// <summary>Stops the server and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _serving;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    [GeneratedRegex(@"TCP\s+(TCPIP0::127\.0\.0\.1::\d+::SOCKET)")]
    private static partial Regex TcpLine();
}
