using System.Reflection;

namespace CimHil.Characterization.Procedures;

/// <summary>
/// Finds procedures by scanning assemblies for <see cref="CharacterizationProcedureAttribute"/>, as drivers are found:
/// the built-in seven in this assembly, every <c>CimHil.Procedures.*.dll</c> beside the application, and the assemblies
/// hil-config.json lists under <c>characterization.plugins</c> (<see cref="ProcedurePlugins"/>). A lab adds a procedure
/// by shipping an assembly, not by editing CimHil.
/// </summary>
public sealed class ProcedureRegistry
{
    private const string PluginPattern = "CimHil.Procedures.*.dll";
    private static readonly Lazy<ProcedureRegistry> DefaultRegistry = new(() => FromAssemblies(BesideTheApplication()));

    private ProcedureRegistry(IReadOnlyList<ProcedureRegistration> procedures) => All = procedures;

    /// <summary>The built-in procedures only.</summary>
    public static ProcedureRegistry BuiltIn { get; } = Scan([typeof(ProcedureRegistry).Assembly]);

    /// <summary>The built-in procedures and those of every <c>CimHil.Procedures.*.dll</c> beside the application.</summary>
    public static ProcedureRegistry Default => DefaultRegistry.Value;

    /// <summary>Every procedure, in the order a plan runs them.</summary>
    public IReadOnlyList<ProcedureRegistration> All { get; }

    public IEnumerable<string> Sections => All.Select(p => p.Section);

    /// <summary>The procedure that claims plan section <paramref name="section"/>, or null.</summary>
    public ProcedureRegistration? Find(string section) => All.FirstOrDefault(p => string.Equals(p.Section, section, StringComparison.Ordinal));

    /// <summary>The default procedures plus those in the assemblies at <paramref name="assemblyPaths"/>.</summary>
    public static ProcedureRegistry WithPlugins(IEnumerable<string> assemblyPaths)
    {
        var paths = assemblyPaths.Select(Path.GetFullPath).ToList();
        return paths.Count == 0 ? Default : FromAssemblies(BesideTheApplication().Concat(paths));
    }

    public static ProcedureRegistry Scan(IEnumerable<Assembly> assemblies)
    {
        var found = new List<ProcedureRegistration>();
        foreach (var assembly in assemblies.Distinct())
        {
            // Exported types only: a procedure is public, and a plug-in that fails to load should fail loudly, not lose types.
            foreach (var type in assembly.GetExportedTypes())
            {
                if (type.GetCustomAttribute<CharacterizationProcedureAttribute>() is not { } attr || type.IsAbstract)
                {
                    continue;
                }

                if (!typeof(ICharacterizationProcedure).IsAssignableFrom(type))
                {
                    throw new InvalidOperationException($"{type.FullName} is marked [CharacterizationProcedure(\"{attr.Section}\")] but does not implement {nameof(ICharacterizationProcedure)}");
                }

                if (found.FirstOrDefault(p => string.Equals(p.Section, attr.Section, StringComparison.Ordinal)) is { } twin)
                {
                    throw new InvalidOperationException($"two procedures claim the plan section '{attr.Section}': {twin.Procedure.GetType().FullName} and {type.FullName}");
                }

                found.Add(new ProcedureRegistration(attr.Section, attr.Order, (ICharacterizationProcedure)Activator.CreateInstance(type)!));
            }
        }

        return new ProcedureRegistry([.. found.OrderBy(p => p.Order).ThenBy(p => p.Section, StringComparer.Ordinal)]);
    }

    private static ProcedureRegistry FromAssemblies(IEnumerable<string> paths) =>
        Scan(new[] { typeof(ProcedureRegistry).Assembly }.Concat(paths.Distinct(StringComparer.Ordinal).Select(Assembly.LoadFrom)));

    private static IEnumerable<string> BesideTheApplication() =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, PluginPattern).Order(StringComparer.Ordinal);
}
