using System.Net.Sockets;
using System.Text;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>A plain loopback TCP client for board tests: sends raw bytes, reads LF-terminated lines, counts what arrived.</summary>
internal sealed class WireClient : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _pending = new();

    private WireClient(Socket socket) => _socket = socket;

    /// <summary>Every byte received so far, terminators included.</summary>
    public long BytesReceived { get; private set; }

    public static async Task<WireClient> ConnectAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        return new WireClient(socket);
    }

    public async Task SendAsync(string text) => await _socket.SendAsync(Encoding.ASCII.GetBytes(text));

    /// <summary>
    /// The next line without its LF. Fails when more than <paramref name="maxBytes"/> arrive without an LF (the reply is
    /// bigger than the test allows) or nothing completes a line within <paramref name="timeout"/>.
    /// </summary>
    public async Task<string> ReadLineAsync(int maxBytes = 1024 * 1024, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var data = _pending.GetBuffer().AsSpan(0, (int)_pending.Length);
            var lf = data.IndexOf((byte)'\n');
            if (lf >= 0)
            {
                var line = Encoding.ASCII.GetString(data[..lf]);
                var rest = data[(lf + 1)..].ToArray();
                _pending.SetLength(0);
                _pending.Write(rest);
                return line;
            }

            if (_pending.Length > maxBytes)
            {
                throw new InvalidOperationException($"more than {maxBytes} bytes arrived without a line end ({_pending.Length} so far)");
            }

            var n = await _socket.ReceiveAsync(_buffer, SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new EndOfStreamException($"the server closed the connection; {_pending.Length} bytes of an unfinished line");
            }

            BytesReceived += n;
            _pending.Write(_buffer, 0, n);
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _pending.Dispose();
    }
}
