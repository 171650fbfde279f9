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

    /// <summary>Maps an exception to the exit code a script can act on.</summary>
    public static (int Code, string Message) Classify(Exception ex)
    {
        if (ex is TargetInvocationException { InnerException: { } inner })
        {
            return Classify(inner);
        }

        if (ex is AggregateException { InnerExceptions.Count: 1 } agg)
        {
            return Classify(agg.InnerExceptions[0]);
        }

        return ex switch
        {
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled; everything measured so far is kept"),
            ConfigException => (ExitCodes.BadInput, ex.Message),
            Characterization.Store.MeasurementStoreException or Calibration.CalibrationException => (ExitCodes.BadInput, ex.Message),
            Simulation.Data.DatasetFormatException or Simulation.Engine.SafetensorsFormatException or Simulation.Models.CheckpointMismatchException => (ExitCodes.BadInput, ex.Message),
            Instruments.Resources.ResourceFormatException => (ExitCodes.BadInput, ex.Message),
            SafetyLimitException => (ExitCodes.SafetyRefused, ex.Message),
            FileNotFoundException or DirectoryNotFoundException or InvalidDataException => (ExitCodes.BadInput, ex.Message),
            CliUsageException => (ExitCodes.Usage, ex.Message),
            ChipException => (ExitCodes.ChipError, ex.Message),
            ArgumentException => (ExitCodes.Usage, ex.Message),
            TimeoutException or IOException or System.Net.Sockets.SocketException => (ExitCodes.InstrumentError, ex.Message),
            Instruments.InstrumentException or Instruments.Scpi.ScpiErrorException or Instruments.Scpi.BinaryBlockFormatException => (ExitCodes.InstrumentError, ex.Message),
            _ => (ExitCodes.InternalError, $"internal error: {ex.GetType().Name}: {ex.Message} (details in the log file)"),
        };
    }

    private static void TryLog(CliServices services, ParseResult parse, Exception ex, int code)
    {
        try
        {
            services.Logger(parse).Error(ex, "Command failed with exit code {ExitCode}", code);
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
