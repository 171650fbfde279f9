using System.Collections.Concurrent;
using System.Text;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Drivers.Tests.Support;

/// <summary>
/// Opens real transports through the built-in factory and records every byte the driver writes, per resource:
/// the wire-level evidence of what reached an instrument (the emulated instrument on the other end is real).
/// </summary>
internal sealed class RecordingTransportFactory : ITransportFactory
{
    private readonly ConcurrentQueue<(string Resource, byte[] Bytes)> _writes = new();

    /// <summary>Write calls so far, over every resource.</summary>
    public int WriteCount => _writes.Count;

    /// <summary>Called with each write (as ASCII) before it is sent: lets a test arm a board fault at an exact message.</summary>
    public Action<string>? BeforeWrite { get; set; }

    /// <summary>For rigs on VXI-11: the emulator's portmapper port, and VISA kept out so CimHil's own LAN clients are used.</summary>
    public int? Vxi11PortmapperPort { get; set; }

    /// <summary>For rigs on VXI-11 or HiSLIP: never route through a VISA library, even where one is installed.</summary>
    public bool BuiltInLanClients { get; set; }

    /// <summary>The options the driver opened each resource with (as the driver built them, before any rig override).</summary>
    public ConcurrentDictionary<string, TransportOptions> OptionsByResource { get; } = new();

    public async Task<ITransport> OpenAsync(string resource, TransportOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionsByResource[resource] = options;
        if (BuiltInLanClients)
        {
            options = options with { Visa = VisaPreference.Never, Vxi11PortmapperPort = Vxi11PortmapperPort ?? options.Vxi11PortmapperPort };
        }

        var inner = await TransportFactory.Instance.OpenAsync(resource, options, logger, cancellationToken);
        return new RecordingTransport(inner, resource, _writes, this);
    }

    /// <summary>Everything written to <paramref name="resource"/> since the last <see cref="Clear"/>, as ASCII.</summary>
    public string Sent(string resource) =>
        Encoding.ASCII.GetString(_writes.Where(w => w.Resource == resource).SelectMany(w => w.Bytes).ToArray());

    public void Clear() => _writes.Clear();

    private sealed class RecordingTransport(ITransport inner, string resource, ConcurrentQueue<(string Resource, byte[] Bytes)> writes, RecordingTransportFactory owner) : ITransport
    {
        public string Resource => inner.Resource;

        public bool IsOpen => inner.IsOpen;

        public TimeSpan Timeout
        {
            get => inner.Timeout;
            set => inner.Timeout = value;
        }

        public ValueTask OpenAsync(CancellationToken cancellationToken) => inner.OpenAsync(cancellationToken);

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            owner.BeforeWrite?.Invoke(Encoding.ASCII.GetString(data.Span));
            writes.Enqueue((resource, data.ToArray()));
            return inner.WriteAsync(data, cancellationToken);
        }

        public ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken) => inner.ReadUntilAsync(terminator, maxBytes, cancellationToken);

        public ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken) => inner.ReadExactAsync(count, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken) => inner.ClearAsync(cancellationToken);

        public ValueTask CloseAsync() => inner.CloseAsync();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
