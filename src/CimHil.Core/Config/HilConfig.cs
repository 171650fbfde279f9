using System.Security.Cryptography;
using System.Text;
using CimHil.Core.Safety;

namespace CimHil.Core.Config;

/// <summary>
/// The bench configuration, hil-config.json, validated at load. Sections owned by higher layers
/// (emulator, characterization, simulation, run) are kept as <see cref="JsonSection"/> and validated by their owners.
/// </summary>
public sealed record HilConfig
{
    /// <summary>The top-level sections a hil-config.json may have.</summary>
    public static readonly string[] KnownSections =
        ["chip", "instruments", "transport", "logging", "emulator", "characterization", "calibration", "simulation", "worstCase", "study", "run", "slurm"];

    public required ChipConfig Chip { get; init; }

    public required InstrumentsConfig Instruments { get; init; }

    public required TransportConfig Transport { get; init; }

    public required LoggingConfig Logging { get; init; }

    /// <summary>The whole file, for sections owned by other layers.</summary>
    public required JsonSection Root { get; init; }

    /// <summary>Where the file was read from (null when built in memory).</summary>
    public string? SourcePath { get; init; }

    /// <summary>SHA-256 of the file's bytes, recorded with every measurement run as provenance.</summary>
    public required string ContentHash { get; init; }

    /// <summary>A section by name, or an empty section when the file has none.</summary>
    public JsonSection Section(string name) => Root.SectionOrEmpty(name);
}

/// <summary>Which driver builds the chip, its settings, and the safety limits every operation is checked against.</summary>
public sealed record ChipConfig
{
    public required string Driver { get; init; }

    public required JsonSection Settings { get; init; }

    public required SafetyLimits Safety { get; init; }
}

/// <summary>Named aliases for VISA resource strings ("smu" → "TCPIP0::192.0.2.7::5025::SOCKET").</summary>
public sealed record InstrumentsConfig
{
    public required IReadOnlyDictionary<string, string> Aliases { get; init; }

    /// <summary>The alias's resource string, or the input itself when it is no alias.</summary>
    public string Resolve(string resourceOrAlias) =>
        Aliases.TryGetValue(resourceOrAlias, out var resource) ? resource : resourceOrAlias;
}

/// <summary>Defaults for every instrument session: timeouts, retries of idempotent queries, the circuit breaker.</summary>
public sealed record TransportConfig
{
    public required double TimeoutSeconds { get; init; }

    public required double ConnectTimeoutSeconds { get; init; }

    /// <summary>How many times an idempotent query is retried (reads, identity); programming pulses never are.</summary>
    public required int Retries { get; init; }

    public required double RetryBaseDelaySeconds { get; init; }

    public required double RetryMaxDelaySeconds { get; init; }

    /// <summary>Failure ratio over the sampling window at which the breaker opens.</summary>
    public required double BreakerFailureRatio { get; init; }

    public required int BreakerMinimumThroughput { get; init; }

    public required double BreakerSamplingSeconds { get; init; }

    public required double BreakerBreakSeconds { get; init; }

    /// <summary><c>transport.visa</c>: whether the vendor VISA library is preferred, used only as the fallback, or never loaded.</summary>
    public VendorVisaUse Visa { get; init; } = VendorVisaUse.Auto;

    /// <summary><c>transport.serial</c>: the serial line settings, validated by the instrument layer that owns their types.</summary>
    public JsonSection? Serial { get; init; }

    /// <summary>
    /// <c>transport.vxi11PortmapperPort</c>: where the built-in VXI-11 client asks for the core channel. 111 on real
    /// instruments (RFC 1833); an emulator run by an unprivileged user serves its portmapper elsewhere.
    /// </summary>
    public int Vxi11PortmapperPort { get; init; } = OncRpc.Vxi11Wire.PortmapperPort;

    public static TransportConfig Default { get; } = new()
    {
        TimeoutSeconds = 2.0,
        ConnectTimeoutSeconds = 5.0,
        Retries = 3,
        RetryBaseDelaySeconds = 0.05,
        RetryMaxDelaySeconds = 1.0,
        BreakerFailureRatio = 0.8,
        BreakerMinimumThroughput = 8,
        BreakerSamplingSeconds = 10,
        BreakerBreakSeconds = 5,
    };
}

/// <summary>Serilog levels and sinks.</summary>
public sealed record LoggingConfig
{
    /// <summary>Serilog level name: Verbose, Debug, Information, Warning, Error, Fatal.</summary>
    public required string ConsoleLevel { get; init; }

    public required string FileLevel { get; init; }

    /// <summary>Rolling log file path (a date is inserted before the extension); null disables the file sink.</summary>
    public string? FilePath { get; init; }

    public static LoggingConfig Default { get; } = new() { ConsoleLevel = "Warning", FileLevel = "Debug", FilePath = "logs/cimhil-.log" };
}

/// <summary>Reads and validates hil-config.json.</summary>
public static class HilConfigLoader
{
    /// <summary>Environment variable naming the config file when no --config is given.</summary>
    public const string PathVariable = "CIMHIL_CONFIG";

    public const string DefaultFileName = "hil-config.json";

    private static readonly string[] LogLevels = ["Verbose", "Debug", "Information", "Warning", "Error", "Fatal"];

    /// <summary>--config wins, then $CIMHIL_CONFIG, then ./hil-config.json.</summary>
    public static string ResolvePath(string? cliPath)
    {
        if (!string.IsNullOrEmpty(cliPath))
        {
            return cliPath;
        }

        var env = Environment.GetEnvironmentVariable(PathVariable);
        return string.IsNullOrEmpty(env) ? DefaultFileName : env;
    }

    /// <summary>
    /// The configuration of a command that needs no bench (evaluate, worst-case, train, study) run where no
    /// hil-config.json is: the shipped defaults — the 64×64 RRAM emulator behind the shipped safety limits, default
    /// logging, mapping, study and run sections.
    /// </summary>
    public static HilConfig BuiltInDefaults()
    {
        // The limits are SafetyLimits.Default's, written out so they pass the same parser and checks as any file's. The
        // study's calibrated device model is the one shipped beside the program (copied there by the CLI's build): a
        // path relative to the working folder would not exist where these defaults apply, outside the repository.
        var l = SafetyLimits.Default;
        var safety = string.Join(", ", new (string Key, double Value)[]
        {
            ("maxSetVoltageV", l.MaxSetVoltageV), ("maxResetVoltageV", l.MaxResetVoltageV), ("maxFormVoltageV", l.MaxFormVoltageV),
            ("maxReadVoltageV", l.MaxReadVoltageV), ("maxGateVoltageV", l.MaxGateVoltageV), ("maxComplianceA", l.MaxComplianceA),
            ("maxPulseWidthSeconds", l.MaxPulseWidthSeconds), ("minPulseWidthSeconds", l.MinPulseWidthSeconds),
        }.Select(kv => $"\"{kv.Key}\": {kv.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"));
        var deviceModel = System.Text.Json.JsonSerializer.Serialize(Path.Combine(AppContext.BaseDirectory, ShippedDeviceModel));
        return Parse($$"""{ "chip": { "driver": "emulator", "safety": { {{safety}} } }, "study": { "deviceModel": {{deviceModel}} } }""", BuiltInDefaultsName);
    }

    /// <summary>What error messages call the built-in defaults (in place of a file name).</summary>
    public const string BuiltInDefaultsName = "built-in defaults";

    /// <summary>The calibrated emulator model, relative to the program's folder (and to the repository root).</summary>
    public const string ShippedDeviceModel = "calibration/emulator-rram.json";

    public static HilConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(string.Empty, $"configuration file not found (set --config or ${PathVariable})", path);
        }

        var text = File.ReadAllText(path);
        try
        {
            return Parse(text, path);
        }
        catch (ConfigException ex) when (ex.Source_ is null)
        {
            throw ex.WithSource(path);
        }
    }

    public static HilConfig Parse(string json, string? sourcePath = null)
    {
        var root = JsonSection.Parse(json, sourcePath ?? "hil-config.json");
        root.AllowOnly(HilConfig.KnownSections);

        var chip = root.Section("chip").AllowOnly("driver", "settings", "safety");
        var chipConfig = new ChipConfig
        {
            Driver = chip.String("driver"),
            Settings = chip.SectionOrEmpty("settings"),
            Safety = ParseSafety(chip.Section("safety")),
        };

        var instruments = root.SectionOrEmpty("instruments").AllowOnly("aliases");
        var aliases = new Dictionary<string, string>(StringComparer.Ordinal);
        if (instruments.OptionalSection("aliases") is { } aliasSection)
        {
            foreach (var name in aliasSection.PropertyNames())
            {
                aliases[name] = aliasSection.String(name);
            }
        }

        return new HilConfig
        {
            Chip = chipConfig,
            Instruments = new InstrumentsConfig { Aliases = aliases },
            Transport = ParseTransport(root.SectionOrEmpty("transport")),
            Logging = ParseLogging(root.SectionOrEmpty("logging")),
            Root = root,
            SourcePath = sourcePath,
            ContentHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json))),
        };
    }

    public static SafetyLimits ParseSafety(JsonSection s)
    {
        s.AllowOnly("maxSetVoltageV", "maxResetVoltageV", "maxFormVoltageV", "maxReadVoltageV", "maxGateVoltageV", "maxComplianceA", "maxPulseWidthSeconds", "minPulseWidthSeconds");
        var limits = new SafetyLimits
        {
            MaxSetVoltageV = s.Positive("maxSetVoltageV"),
            MaxResetVoltageV = s.Positive("maxResetVoltageV"),
            MaxFormVoltageV = s.Positive("maxFormVoltageV"),
            MaxReadVoltageV = s.Positive("maxReadVoltageV"),
            MaxGateVoltageV = s.Positive("maxGateVoltageV"),
            MaxComplianceA = s.Positive("maxComplianceA"),
            MaxPulseWidthSeconds = s.Positive("maxPulseWidthSeconds"),
            MinPulseWidthSeconds = s.Positive("minPulseWidthSeconds"),
        };
        if (limits.MinPulseWidthSeconds > limits.MaxPulseWidthSeconds)
        {
            throw s.Error("minPulseWidthSeconds", $"{limits.MinPulseWidthSeconds:G4} s is larger than maxPulseWidthSeconds {limits.MaxPulseWidthSeconds:G4} s");
        }

        return limits;
    }

    private static TransportConfig ParseTransport(JsonSection s)
    {
        s.AllowOnly("timeoutSeconds", "connectTimeoutSeconds", "retries", "retryBaseDelaySeconds", "retryMaxDelaySeconds", "circuitBreaker", "visa", "serial", "vxi11PortmapperPort");
        var d = TransportConfig.Default;
        var breaker = s.SectionOrEmpty("circuitBreaker").AllowOnly("failureRatio", "minimumThroughput", "samplingSeconds", "breakSeconds");
        return new TransportConfig
        {
            TimeoutSeconds = s.Positive("timeoutSeconds", d.TimeoutSeconds),
            ConnectTimeoutSeconds = s.Positive("connectTimeoutSeconds", d.ConnectTimeoutSeconds),
            Retries = s.Int("retries", d.Retries, 0, 20),
            RetryBaseDelaySeconds = s.Double("retryBaseDelaySeconds", d.RetryBaseDelaySeconds, 0, 60),
            RetryMaxDelaySeconds = s.Double("retryMaxDelaySeconds", d.RetryMaxDelaySeconds, 0, 600),
            BreakerFailureRatio = breaker.Double("failureRatio", d.BreakerFailureRatio, 0.01, 1.0),
            BreakerMinimumThroughput = breaker.Int("minimumThroughput", d.BreakerMinimumThroughput, 2, 10_000),
            BreakerSamplingSeconds = breaker.Double("samplingSeconds", d.BreakerSamplingSeconds, 0.5, 86_400),
            BreakerBreakSeconds = breaker.Double("breakSeconds", d.BreakerBreakSeconds, 0.5, 86_400),
            Visa = s.Enum("visa", d.Visa),
            Serial = s.OptionalSection("serial"),
            Vxi11PortmapperPort = s.Int("vxi11PortmapperPort", d.Vxi11PortmapperPort, 1, 65_535),
        };
    }

    private static LoggingConfig ParseLogging(JsonSection s)
    {
        s.AllowOnly("consoleLevel", "fileLevel", "file");
        var d = LoggingConfig.Default;
        return new LoggingConfig
        {
            ConsoleLevel = Level(s, "consoleLevel", d.ConsoleLevel),
            FileLevel = Level(s, "fileLevel", d.FileLevel),
            FilePath = s.Has("file") ? s.String("file") : d.FilePath,
        };
    }

    private static string Level(JsonSection s, string name, string defaultLevel)
    {
        var level = s.String(name, defaultLevel);
        return LogLevels.FirstOrDefault(l => string.Equals(l, level, StringComparison.OrdinalIgnoreCase))
            ?? throw s.Error(name, $"'{level}' is not a log level; use one of {string.Join(", ", LogLevels)}");
    }
}
