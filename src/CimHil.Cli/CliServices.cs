using System.CommandLine;
using System.Text.Json;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Workflows;
using Serilog;
using Serilog.Events;

namespace CimHil.Cli;

/// <summary>What every command shares: the global options, the config, the logger, the driver registry.</summary>
public sealed class CliServices : IDisposable
{
    private HilConfig? _config;
    private Serilog.Core.Logger? _logger;
    private DriverRegistry? _registry;

    public CliServices(TextWriter output, TextWriter error)
    {
        Output = output;
        Error = error;
    }

    /// <summary>--config, recursive: every command takes it.</summary>
    public Option<string?> ConfigOption { get; } = new("--config", "-c")
    {
        Description = $"Path of the bench configuration (default: ${HilConfigLoader.PathVariable}, else ./{HilConfigLoader.DefaultFileName})",
        Recursive = true,
    };

    /// <summary>--verbose, recursive: console log level Debug.</summary>
    public Option<bool> VerboseOption { get; } = new("--verbose", "-v")
    {
        Description = "Log Debug events to the console (stderr)",
        Recursive = true,
    };

    /// <summary>--json for commands with machine-readable output.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Write the result as JSON on stdout" };

    public TextWriter Output { get; }

    public TextWriter Error { get; }

    /// <summary>The workflows' result-file options: <c>--json</c> prints what the run folder holds, the same way.</summary>
    public static JsonSerializerOptions Json => WorkflowJson.Options;

    public void WriteJson<T>(T value) => Output.WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>The config named by --config / $CIMHIL_CONFIG / ./hil-config.json, loaded once and validated.</summary>
    public HilConfig Config(ParseResult parse)
    {
        if (_config is null)
        {
            var path = HilConfigLoader.ResolvePath(parse.GetValue(ConfigOption));
            _config = HilConfigLoader.Load(path);
        }

        return _config;
    }

    /// <summary>
    /// One daily log file is cut at this size and continued in a numbered file (Debug logging reached 45 MB in a day of
    /// about 20 commands); with at most 14 files kept, the logs stay under 140 MB.
    /// </summary>
    public const long MaxLogFileBytes = 10L * 1024 * 1024;

    public ILogger Logger(ParseResult parse)
    {
        if (_logger is null)
        {
            var cfg = Config(parse).Logging;
            var console = parse.GetValue(VerboseOption) ? LogEventLevel.Debug : Enum.Parse<LogEventLevel>(cfg.ConsoleLevel);
            var lc = new LoggerConfiguration()
                .MinimumLevel.Verbose()
                .Enrich.WithProperty("Application", "cimhil")
                .WriteTo.Logger(c => ConsoleSink(c.MinimumLevel.Verbose().Filter.ByExcluding(e => e.Properties.ContainsKey(FileOnlyProperty)), console));
            if (cfg.FilePath is { } file)
            {
                var fileLevel = Enum.Parse<LogEventLevel>(cfg.FileLevel);
                lc = lc.WriteTo.Async(a => a.File(file, restrictedToMinimumLevel: fileLevel, rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14, fileSizeLimitBytes: MaxLogFileBytes, rollOnFileSizeLimit: true));
            }

            _logger = lc.CreateLogger();
        }

        return _logger;
    }

    /// <summary>
    /// The log of a run or study, kept in its folder beside its results (<paramref name="path"/>, Information and up)
    /// while the console and the daily log get what they always get.
    /// </summary>
    public Serilog.Core.Logger FolderLogger(ParseResult parse, string path) =>
        new LoggerConfiguration()
            .MinimumLevel.Debug()
            .WriteTo.Logger(Logger(parse))
            .WriteTo.File(path, restrictedToMinimumLevel: LogEventLevel.Information)
            .CreateLogger();

    /// <summary>An event carrying this property goes to the log file only (the console already has its one-line summary).</summary>
    public const string FileOnlyProperty = "FileOnly";

    // No {Exception} on the console: a user sees one line per event, the stack trace goes to the log file only.
    private const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}";

    public DriverRegistry Registry => _registry ??= DriverRegistry.FromDirectory(AppContext.BaseDirectory);

    /// <summary>Connects the configured chip behind its safety limits.</summary>
    public Task<SafeChip> ConnectAsync(ParseResult parse, CancellationToken cancellationToken) =>
        ChipConnector.ConnectAsync(Config(parse), Registry, Logger(parse), cancellationToken);

    public void Dispose() => _logger?.Dispose();

    /// <summary>The console log goes to <see cref="Error"/>: the real stderr (coloured) for the process, the caller's writer in-process.</summary>
    private void ConsoleSink(LoggerConfiguration c, LogEventLevel level)
    {
        if (ReferenceEquals(Error, Console.Error))
        {
            c.WriteTo.Console(restrictedToMinimumLevel: level, outputTemplate: ConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose);
        }
        else
        {
            c.WriteTo.Sink(new TextWriterSink(Error, ConsoleTemplate), level);
        }
    }
}
