using System.Reflection;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using Serilog;

namespace CimHil.Core.Drivers;

/// <summary>Marks a class as a chip driver with the id that hil-config.json's <c>chip.driver</c> selects.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ChipDriverAttribute(string id) : Attribute
{
    public string Id { get; } = id;

    /// <summary>One line for <c>cimhil instruments list</c>.</summary>
    public string Description { get; init; } = string.Empty;
}

/// <summary>What a driver needs besides its own settings.</summary>
public sealed record DriverContext
{
    public required HilConfig Config { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>Directory relative paths in the config are resolved against.</summary>
    public string BaseDirectory { get; init; } = Directory.GetCurrentDirectory();
}

/// <summary>One documented setting of a driver, for <c>cimhil instruments list</c>.</summary>
public sealed record DriverSetting(string Name, string Type, string Description, string? Default = null);

/// <summary>
/// A driver turns <c>chip.settings</c> into a connected chip. Implementations are discovered by
/// <see cref="DriverRegistry"/> through <see cref="ChipDriverAttribute"/>; a public parameterless constructor is required.
/// </summary>
public interface IChipDriver
{
    /// <summary>The hardware ceilings of this driver's setup; configured safety limits above them are refused at load.</summary>
    SafetyLimits Maxima { get; }

    IReadOnlyList<DriverSetting> Settings { get; }

    /// <summary>Validates the settings (throwing <see cref="ConfigException"/> with the JSON path) without connecting.</summary>
    object ParseSettings(JsonSection settings);

    /// <summary>Connects and returns the raw chip; callers wrap it in <see cref="SafeChip"/> (see <see cref="ChipConnector"/>).</summary>
    Task<IChip> ConnectAsync(object settings, DriverContext context, CancellationToken cancellationToken);
}

/// <summary>Base class that types the settings.</summary>
public abstract class ChipDriver<TSettings> : IChipDriver
    where TSettings : class
{
    public abstract SafetyLimits Maxima { get; }

    public abstract IReadOnlyList<DriverSetting> Settings { get; }

    public abstract TSettings Parse(JsonSection settings);

    public abstract Task<IChip> ConnectAsync(TSettings settings, DriverContext context, CancellationToken cancellationToken);

    object IChipDriver.ParseSettings(JsonSection settings) => Parse(settings);

    Task<IChip> IChipDriver.ConnectAsync(object settings, DriverContext context, CancellationToken cancellationToken) =>
        ConnectAsync((TSettings)settings, context, cancellationToken);
}

/// <summary>A registered driver: its id, description and implementation type.</summary>
public sealed record DriverRegistration(string Id, string Description, Type Type)
{
    public IChipDriver Create() => (IChipDriver)Activator.CreateInstance(Type)!;
}

/// <summary>
/// Finds drivers by scanning assemblies for <see cref="ChipDriverAttribute"/>. Driver assemblies are the
/// <c>CimHil.Drivers.*.dll</c> files beside the application, so adding a driver is adding a project under drivers/.
/// </summary>
public sealed class DriverRegistry
{
    private readonly Dictionary<string, DriverRegistration> _drivers;

    public DriverRegistry(IEnumerable<DriverRegistration> drivers) =>
        _drivers = drivers.ToDictionary(d => d.Id, StringComparer.OrdinalIgnoreCase);

    public IReadOnlyCollection<DriverRegistration> All => _drivers.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();

    public static DriverRegistry Scan(IEnumerable<Assembly> assemblies)
    {
        var found = new List<DriverRegistration>();
        foreach (var assembly in assemblies.Distinct())
        {
            foreach (var type in SafeTypes(assembly))
            {
                if (type.GetCustomAttribute<ChipDriverAttribute>() is { } attr && typeof(IChipDriver).IsAssignableFrom(type) && !type.IsAbstract)
                {
                    if (found.Any(d => string.Equals(d.Id, attr.Id, StringComparison.OrdinalIgnoreCase)))
                    {
                        throw new InvalidOperationException($"two drivers claim the id '{attr.Id}': {type.FullName} and {found.First(d => d.Id == attr.Id).Type.FullName}");
                    }

                    found.Add(new DriverRegistration(attr.Id, attr.Description, type));
                }
            }
        }

        return new DriverRegistry(found);
    }

    /// <summary>Loads every CimHil.Drivers.*.dll in <paramref name="directory"/> (default: the application's) and scans it.</summary>
    public static DriverRegistry FromDirectory(string? directory = null)
    {
        var dir = directory ?? AppContext.BaseDirectory;
        var assemblies = Directory.EnumerateFiles(dir, "CimHil.Drivers.*.dll")
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => Assembly.LoadFrom(f))
            .ToList();
        return Scan(assemblies);
    }

    public DriverRegistration Get(string id, string jsonPath = "chip.driver") =>
        _drivers.TryGetValue(id, out var d)
            ? d
            : throw new ConfigException(jsonPath, $"'{id}' is not a registered driver; registered: {string.Join(", ", All.Select(x => x.Id))}");

    private static IEnumerable<Type> SafeTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.Where(t => t is not null)!;
        }
    }
}

/// <summary>Config → driver → connected chip behind <see cref="SafeChip"/>.</summary>
public static class ChipConnector
{
    /// <summary>Validates the configured limits against the driver's maxima and the settings, without connecting.</summary>
    public static (IChipDriver Driver, object Settings) Prepare(HilConfig config, DriverRegistry registry)
    {
        var driver = registry.Get(config.Chip.Driver).Create();
        CheckAgainstMaxima(config.Chip.Safety, driver.Maxima);
        var settings = driver.ParseSettings(config.Chip.Settings);
        return (driver, settings);
    }

    public static async Task<SafeChip> ConnectAsync(HilConfig config, DriverRegistry registry, ILogger logger, CancellationToken cancellationToken)
    {
        var (driver, settings) = Prepare(config, registry);
        var context = new DriverContext
        {
            Config = config,
            Logger = logger.ForContext("Driver", config.Chip.Driver),
            BaseDirectory = config.SourcePath is { } p ? Path.GetDirectoryName(Path.GetFullPath(p))! : Directory.GetCurrentDirectory(),
        };
        var chip = await driver.ConnectAsync(settings, context, cancellationToken).ConfigureAwait(false);
        return new SafeChip(new LoggingChip(chip, context.Logger), config.Chip.Safety);
    }

    public static void CheckAgainstMaxima(SafetyLimits limits, SafetyLimits maxima)
    {
        static void Check(string name, double value, double max, string unit)
        {
            if (value > max)
            {
                throw new ConfigException($"chip.safety.{name}", $"{value:G6} exceeds the driver maximum {max:G6} {unit}");
            }
        }

        Check("maxSetVoltageV", limits.MaxSetVoltageV, maxima.MaxSetVoltageV, "V");
        Check("maxResetVoltageV", limits.MaxResetVoltageV, maxima.MaxResetVoltageV, "V");
        Check("maxFormVoltageV", limits.MaxFormVoltageV, maxima.MaxFormVoltageV, "V");
        Check("maxReadVoltageV", limits.MaxReadVoltageV, maxima.MaxReadVoltageV, "V");
        Check("maxGateVoltageV", limits.MaxGateVoltageV, maxima.MaxGateVoltageV, "V");
        Check("maxComplianceA", limits.MaxComplianceA, maxima.MaxComplianceA, "A");
        Check("maxPulseWidthSeconds", limits.MaxPulseWidthSeconds, maxima.MaxPulseWidthSeconds, "s");
        if (limits.MinPulseWidthSeconds < maxima.MinPulseWidthSeconds)
        {
            throw new ConfigException("chip.safety.minPulseWidthSeconds", $"{limits.MinPulseWidthSeconds:G6} is below the driver minimum {maxima.MinPulseWidthSeconds:G6} s");
        }
    }
}
