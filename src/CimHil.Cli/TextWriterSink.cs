using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;

namespace CimHil.Cli;

/// <summary>Renders log events with an output template onto a caller's writer (the in-process CLI's stderr).</summary>
internal sealed class TextWriterSink(TextWriter writer, string outputTemplate) : ILogEventSink
{
    private readonly MessageTemplateTextFormatter _formatter = new(outputTemplate, System.Globalization.CultureInfo.InvariantCulture);
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        // Progress is logged from worker threads; a StringWriter is not thread-safe.
        lock (_gate)
        {
            _formatter.Format(logEvent, writer);
            writer.Flush();
        }
    }
}
