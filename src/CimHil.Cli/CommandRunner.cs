using System.CommandLine;
using System.Reflection;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using Serilog;

namespace CimHil.Cli;

/// <summary>Parses, runs, and turns every failure into one clear line on stderr and a documented exit code.</summary>
public static class CommandRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, CliServices services, CancellationToken cancellationToken = default)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                services.Error.WriteLine($"cimhil: {error.Message}");
            }

            services.Error.WriteLine("Run 'cimhil --help' (or '<command> --help') for usage.");
            return ExitCodes.Usage;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token);
        }
        catch (Exception ex)
        {
            var (code, message) = Classify(ex);
            services.Error.WriteLine($"cimhil: {message}");
            TryLog(services, parse, ex, code);
            return code;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    /// <summary>Maps an exception to the exit code a script can act on, and one line (no stack trace) saying what was wrong.</summary>
    public static (int Code, string Message) Classify(Exception ex)
    {
        var (code, message) = ClassifyCore(ex);
        return (code, OneLine(message));
    }

    private static (int Code, string Message) ClassifyCore(Exception ex)
    {
        if (ex is TargetInvocationException { InnerException: { } inner })
        {
            return ClassifyCore(inner);
        }

        if (ex is AggregateException { InnerExceptions.Count: > 0 } agg)
        {
            // The first inner error is what went wrong (SafeChip: the operation; a driver: the first instrument); the rest
            // (a safe state that failed too) are told after it. The code is the first one's: a stalled instrument stays a 5.
            var (code, message) = ClassifyCore(agg.InnerExceptions[0]);
            foreach (var later in agg.InnerExceptions.Skip(1))
            {
                message += $"; then: {ClassifyCore(later).Message}";
            }

            return (code, OwnMessage(agg) is { } own ? (own.Contains(agg.InnerExceptions[0].Message, StringComparison.Ordinal) ? own : $"{own}: {message}") : message);
        }

        return ex switch
        {
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled; everything measured so far is kept"),
            ConfigException => (ExitCodes.BadInput, ex.Message),
            Characterization.Store.MeasurementStoreException or Calibration.CalibrationException => (ExitCodes.BadInput, ex.Message),
            Characterization.Import.ImportException => (ExitCodes.BadInput, ex.Message),
            Simulation.Data.DatasetFormatException or Simulation.Engine.SafetensorsFormatException or Simulation.Models.CheckpointMismatchException => (ExitCodes.BadInput, ex.Message),
            Simulation.Onnx.OnnxFormatException => (ExitCodes.BadInput, ex.Message),
            Instruments.Resources.ResourceFormatException => (ExitCodes.BadInput, ex.Message),
            SafetyLimitException => (ExitCodes.SafetyRefused, ex.Message),
            FileNotFoundException or DirectoryNotFoundException or InvalidDataException => (ExitCodes.BadInput, ex.Message),
            UnauthorizedAccessException => (ExitCodes.BadInput, ex.Message),

            // A native library the configuration needs (VISA) is not installed: the message names it and what to install.
            DllNotFoundException => (ExitCodes.BadInput, ex.Message),
            Instruments.TransportUnavailableException => (ExitCodes.BadInput, ex.Message),
            CliUsageException => (ExitCodes.Usage, ex.Message),
            // The link failed while a pulse was in flight: an instrument error (5), whatever layer reports it.
            UncertainPulseException => (ExitCodes.InstrumentError, ex.Message),
            ChipException => (ExitCodes.ChipError, ex.Message),
            Workflows.Slurm.SlurmException => (ExitCodes.SlurmError, ex.Message),
            ArgumentException => (ExitCodes.Usage, ex.Message),
            TimeoutException or IOException or System.Net.Sockets.SocketException => (ExitCodes.InstrumentError, ex.Message),
            Instruments.InstrumentException or Instruments.Scpi.ScpiErrorException or Instruments.Scpi.BinaryBlockFormatException => (ExitCodes.InstrumentError, ex.Message),
            // A wrapper we do not know around one we do (a library's own exception around a timeout or a missing file):
            // the cause decides the code, the wrapper's message keeps its context. Not a wrapped argument error: that is
            // a bug between our own calls, not a wrong command line.
            _ when ex.InnerException is { } cause && ClassifyCore(cause) is { Code: not (ExitCodes.InternalError or ExitCodes.Usage) } known => (known.Code, $"{ex.Message} ({known.Message})"),
            _ => (ExitCodes.InternalError, $"internal error: {ex.GetType().Name}: {ex.Message} (details in the log file)"),
        };
    }

    /// <summary>
    /// One line for the console: .NET's "(Parameter 'x')" and "Actual value was …" suffixes name code, not the user's
    /// input, and a message spanning lines would look like a trace.
    /// </summary>
    internal static string OneLine(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("Actual value was", StringComparison.Ordinal));
        var text = string.Join("; ", lines);
        var parameter = text.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return parameter > 0 && text.EndsWith("')", StringComparison.Ordinal) ? text[..parameter] : text;
    }

    /// <summary>The message an AggregateException was given (SafeChip's tells the whole story), without the inner messages .NET appends; null if none was given.</summary>
    private static string? OwnMessage(AggregateException agg)
    {
        var appended = string.Concat(agg.InnerExceptions.Select(e => $" ({e.Message})"));
        var own = agg.Message.EndsWith(appended, StringComparison.Ordinal) ? agg.Message[..^appended.Length] : agg.Message;
        return own.Length == 0 || own == new AggregateException().Message ? null : own;
    }

    private static void TryLog(CliServices services, ParseResult parse, Exception ex, int code)
    {
        try
        {
            // File only: the console already has the one-line message; the stack trace is for the log file.
            services.Logger(parse).ForContext(CliServices.FileOnlyProperty, true).Error(ex, "Command failed with exit code {ExitCode}", code);
        }
        catch (Exception)
        {
            // The config itself may be what failed to load; the one-line message above already said so.
            Log.CloseAndFlush();
        }
    }
}

/// <summary>A command-line value that parsed but makes no sense (e.g. a malformed cell address).</summary>
public sealed class CliUsageException(string message) : Exception(message);
