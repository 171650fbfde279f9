using System.Text.Json;
using System.Threading.Channels;
using CimHil.Workflows;

namespace CimHil.Server.Events;

/// <summary>
/// Fans live events out to every connected client. Publishing never blocks (workflows report from their own threads,
/// Monte-Carlo from several at once): each client has an unbounded queue, and the last events are kept so a client that
/// connects mid-run, or reconnects with Last-Event-ID, sees what it missed.
/// </summary>
public sealed class EventHub
{
    private readonly object _gate = new();
    private readonly List<Channel<BenchEvent>> _clients = [];
    private readonly LinkedList<BenchEvent> _history = new();
    private readonly int _historyLimit;
    private long _next;

    public EventHub(int historyLimit) => _historyLimit = Math.Max(1, historyLimit);

    /// <summary>Serialises <paramref name="data"/> as it is (its runtime type, so derived records keep their fields) and sends it.</summary>
    public BenchEvent Publish(string type, object data, string? operation)
    {
        ArgumentNullException.ThrowIfNull(data);
        var element = JsonSerializer.SerializeToElement(data, data.GetType(), WorkflowJson.Options);
        lock (_gate)
        {
            var e = new BenchEvent(++_next, type, DateTimeOffset.UtcNow, operation, element);
            _history.AddLast(e);
            while (_history.Count > _historyLimit)
            {
                _history.RemoveFirst();
            }

            foreach (var client in _clients)
            {
                client.Writer.TryWrite(e);
            }

            return e;
        }
    }

    /// <summary>A new client: the kept events after <paramref name="afterId"/> (all kept when null), then everything published.</summary>
    public (IReadOnlyList<BenchEvent> Backlog, ChannelReader<BenchEvent> Live, IDisposable Subscription) Subscribe(long? afterId)
    {
        var channel = Channel.CreateUnbounded<BenchEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            var backlog = _history.Where(e => afterId is null || e.Id > afterId).ToList();
            _clients.Add(channel);
            return (backlog, channel.Reader, new Unsubscriber(this, channel));
        }
    }

    /// <summary>Forgets the kept events (a new operation starts: its clients need not replay the last one's).</summary>
    public void ClearHistory()
    {
        lock (_gate)
        {
            _history.Clear();
        }
    }

    private void Remove(Channel<BenchEvent> channel)
    {
        lock (_gate)
        {
            _clients.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    private sealed class Unsubscriber(EventHub hub, Channel<BenchEvent> channel) : IDisposable
    {
        public void Dispose() => hub.Remove(channel);
    }
}
