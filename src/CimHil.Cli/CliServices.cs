using System.CommandLine;
using System.Text.Json;
using CimHil.Cli.Commands;
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

    /// <summary>--quiet, recursive: the console log shows errors only.</summary>
    public Option<bool> QuietOption { get; } = new("--quiet", "-q")
    {
        Description = "Log only errors to the console (stderr); the log file is unchanged",
        Recursive = true,
    };

    /// <summary>--log-level, recursive: the console log level, overriding logging.consoleLevel of the config.</summary>
    public Option<LogEventLevel?> LogLevelOption { get; } = new("--log-level")
    {
        Description = "Console (stderr) log level: Verbose, Debug, Information, Warning, Error or Fatal (default: logging.consoleLevel of the config)",
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
    /// The config of a command that needs no bench (evaluate, worst-case, train, study): as <see cref="Config"/>, but where
    /// no --config or ${CIMHIL_CONFIG} is given and ./hil-config.json does not exist, the built-in defaults, said once on stderr.
    /// </summary>
    public HilConfig SimulationConfig(ParseResult parse)
    {
        if (_config is null && string.IsNullOrEmpty(parse.GetValue(ConfigOption))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(HilConfigLoader.PathVariable))
            && !File.Exists(HilConfigLoader.DefaultFileName))
        {
            _config = HilConfigLoader.BuiltInDefaults();
            if (!parse.GetValue(QuietOption))
            {
                Error.WriteLine($"cimhil: no {HilConfigLoader.DefaultFileName} here; this command needs no bench, so it runs on the built-in defaults (docs/cli.md)");
            }
        }

        return Config(parse);
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
            var console = ConsoleLevel(parse) ?? Enum.Parse<LogEventLevel>(cfg.ConsoleLevel);
            var lc = new LoggerConfiguration()
                .MinimumLevel.Verbose()
                .Enrich.WithProperty("Application", "cimhil")
                .WriteTo.Logger(c => ConsoleSink(c.MinimumLevel.Verbose().Filter.ByIncludingOnly(e => OnConsole(e, console)), LogEventLevel.Verbose));
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
    /// True when a long command draws no progress bars: its output is JSON, stdout is not a terminal, or --quiet asked
    /// for errors only (a bar is console output like any other).
    /// </summary>
    public bool NoProgressBars(ParseResult parse, bool json) => json || Console.IsOutputRedirected || parse.GetValue(QuietOption);

    /// <summary>Stage progress: none with --json or --quiet, plain lines when stdout is redirected, bars on a terminal.</summary>
    internal ProgressDisplay StageProgressDisplay(ParseResult parse, bool json) =>
        json || parse.GetValue(QuietOption) ? ProgressDisplay.None : Console.IsOutputRedirected ? ProgressDisplay.Lines : ProgressDisplay.Bars;

    /// <summary>The console level --verbose, --quiet or --log-level asks for (at most one of them), or null for the config's.</summary>
    public LogEventLevel? ConsoleLevel(ParseResult parse)
    {
        var verbose = parse.GetValue(VerboseOption);
        var quiet = parse.GetValue(QuietOption);
        var level = parse.GetValue(LogLevelOption);
        if ((verbose ? 1 : 0) + (quiet ? 1 : 0) + (level is null ? 0 : 1) > 1)
        {
            throw new CliUsageException("--verbose, --quiet and --log-level each set the console log level: give one of them");
        }

        return verbose ? LogEventLevel.Debug : quiet ? LogEventLevel.Error : level;
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

    /// <summary>
    /// A warning carrying this property reaches the console at any console level, --quiet included: the one line that says
    /// a command asked for the GPU (<c>--device auto</c>) runs on the CPU, and why (docs/gpu.md). Its numbers are the CPU's
    /// either way, but a user who asked for a GPU and gets hours of CPU must be told even when the console is quiet.
    /// </summary>
    public const string ShownWhenQuietProperty = "ShownWhenQuiet";

    private static bool OnConsole(LogEvent e, LogEventLevel console) =>
        !e.Properties.ContainsKey(FileOnlyProperty)
        && (e.Level >= console || (e.Level >= LogEventLevel.Warning && e.Properties.ContainsKey(ShownWhenQuietProperty)));

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
