using CimHil.Core.Config;

namespace CimHil.Characterization.Procedures;

/// <summary>
/// The procedure plug-ins hil-config.json lists: <c>"characterization": { "plugins": ["labprocs/Lab.Procedures.dll"] }</c>,
/// each path relative to the config file. Assemblies named <c>CimHil.Procedures.*.dll</c> beside the application are
/// loaded without being listed.
/// </summary>
public static class ProcedurePlugins
{
    /// <summary>The registry for <paramref name="config"/>: the defaults plus its listed plug-in assemblies.</summary>
    public static ProcedureRegistry Registry(HilConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var section = config.Root.SectionOrEmpty("characterization").AllowOnly("plugins");
        if (!section.Has("plugins"))
        {
            return ProcedureRegistry.Default;
        }

        var baseDir = config.SourcePath is { } p ? Path.GetDirectoryName(Path.GetFullPath(p))! : Directory.GetCurrentDirectory();
        var paths = section.Strings("plugins").Select(f => Path.GetFullPath(f, baseDir)).ToList();
        for (var i = 0; i < paths.Count; i++)
        {
            if (!File.Exists(paths[i]))
            {
                throw new ConfigException($"{section.PathOf("plugins")}[{i}]", $"procedure plug-in assembly {paths[i]} not found", config.SourcePath);
            }
        }

        return ProcedureRegistry.WithPlugins(paths);
    }
}
