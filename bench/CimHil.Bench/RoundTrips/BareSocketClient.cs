using System.Net.Sockets;

namespace CimHil.Bench.RoundTrips;

/// <summary>Writes "*OPC?\n" and reads "1\n" on a plain socket: the floor any client pays on this machine.</summary>
internal sealed class BareSocketClient : IDisposable
{
    private static readonly byte[] Query = "*OPC?\n"u8.ToArray();
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly byte[] _reply = new byte[2];

    public static async Task<BareSocketClient> ConnectAsync(int port)
    {
        var client = new BareSocketClient();
        await client._socket.ConnectAsync("127.0.0.1", port);
        return client;
    }

    public async Task RoundTripAsync()
    {
        await _socket.SendAsync(Query, SocketFlags.None);
        var got = 0;
        while (got < _reply.Length)
        {
            got += await _socket.ReceiveAsync(_reply.AsMemory(got), SocketFlags.None);
        }
    }

    public void Dispose() => _socket.Dispose();
}
