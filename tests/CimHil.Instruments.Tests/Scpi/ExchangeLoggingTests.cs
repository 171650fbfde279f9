using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace CimHil.Instruments.Tests.Scpi;

public sealed class ExchangeLoggingTests
{
    [Fact]
    public async Task EveryExchange_IsLoggedVerboseWithResourceBytesAndElapsed()
    {
        var sink = new ListSink();
        var logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();
        await using var board = BoardFixture.Start();
        await using var session = new ScpiSession(
            CimHil.Instruments.Transports.TransportFactory.Create(CimHil.Instruments.Resources.VisaResource.Parse(board.Tcp.ResourceString), new()),
            BoardFixture.FastConfig,
            logger);

        await session.QueryAsync("ARR:GEOM?", CancellationToken.None);

        var exchange = Assert.Single(sink.Events, e => e.Level == LogEventLevel.Verbose);
        Assert.Equal("\"ARR:GEOM?\"", exchange.Properties["Command"].ToString());
        Assert.Equal($"\"{board.Tcp.ResourceString}\"", exchange.Properties["Resource"].ToString());
        Assert.Equal("10", exchange.Properties["BytesOut"].ToString()); // "ARR:GEOM?\n"
        Assert.Equal("4", exchange.Properties["BytesIn"].ToString()); // "8,8\n"
        Assert.True(exchange.Properties.ContainsKey("ElapsedMs"));
    }

    private sealed class ListSink : ILogEventSink
    {
        private readonly List<LogEvent> _events = [];

        public IReadOnlyList<LogEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public void Emit(LogEvent logEvent)
        {
            lock (_events)
            {
                _events.Add(logEvent);
            }
        }
    }
}
