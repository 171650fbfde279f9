using Serilog.Core;
using Serilog.Events;

namespace CimHil.Server.Events;

/// <summary>Sends an operation's warnings and errors to the live stream (the page's errors panel).</summary>
public sealed class LiveWarningSink(EventHub hub, string operation) : ILogEventSink
{
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        hub.Publish(BenchEventTypes.Warning, new LiveWarning(logEvent.Level.ToString(), logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)), operation);
    }
}
