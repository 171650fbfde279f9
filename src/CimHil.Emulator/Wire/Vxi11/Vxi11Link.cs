using CimHil.Core.OncRpc;

namespace CimHil.Emulator.Wire.Vxi11;

/// <summary>One VXI-11 link (create_link .. destroy_link): the board served on its own stream, and the reply being read out.</summary>
internal sealed class Vxi11Link : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private ReadOnlyMemory<byte> _reply;

    public Vxi11Link(int id, BoardServer board, string peer, CancellationToken cancellationToken)
    {
        Id = id;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Serving = board.ServeAsync(Stream, canDrop: true, $"{peer} link {id}", _stop.Token);
    }

    public int Id { get; }

    public Vxi11LinkStream Stream { get; } = new();

    /// <summary>Completes when the board stops serving: after destroy_link, or early when a drop fault fires.</summary>
    public Task Serving { get; }

    public bool Destroyed { get; private set; }

    /// <summary>
    /// Up to <paramref name="requestBytes"/> of the current reply, waiting up to <paramref name="cancellationToken"/> for
    /// one; with the reason bits of VXI-11 section B.6.12 (END on a reply's last byte). Null data when none came.
    /// </summary>
    public async Task<(byte[]? Data, int Reason)> ReadAsync(int requestBytes, byte? termChar, CancellationToken cancellationToken)
    {
        if (_reply.IsEmpty && await Stream.TakeReplyAsync(cancellationToken).ConfigureAwait(false) is { } next)
        {
            _reply = next;
        }

        if (_reply.IsEmpty)
        {
            return (null, 0);
        }

        var count = Math.Min(requestBytes, _reply.Length);
        var reason = 0;
        if (termChar is { } t && _reply.Span[..count].IndexOf(t) is var at and >= 0)
        {
            count = at + 1;
            reason |= Vxi11Wire.ReasonTermChar;
        }

        var data = _reply[..count].ToArray();
        _reply = _reply[count..];
        if (_reply.IsEmpty)
        {
            // Every board reply is one whole response message, so its last byte carries END.
            reason |= Vxi11Wire.ReasonEnd;
        }
        else if (count == requestBytes)
        {
            reason |= Vxi11Wire.ReasonRequestCount;
        }

        return (data, reason);
    }

    public void Clear()
    {
        _reply = ReadOnlyMemory<byte>.Empty;
        Stream.Clear();
    }

    /// <summary>destroy_link, or the end of the connection: the board stops serving this link (a reply it was writing is dropped).</summary>
    public async ValueTask DisposeAsync()
    {
        Destroyed = true;
        Stream.Complete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Serving.ConfigureAwait(false);
        _stop.Dispose();
    }
}
