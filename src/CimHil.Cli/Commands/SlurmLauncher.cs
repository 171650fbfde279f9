using System.Reflection;

namespace CimHil.Cli.Commands;

/// <summary>
/// How a Slurm task starts this same cimhil: the published executable itself, or `dotnet cimhil.dll` when it runs
/// framework-dependent under the dotnet host (the launcher script, the tests).
/// </summary>
public static class SlurmLauncher
{
    /// <summary>The program and leading arguments that start this cimhil.</summary>
    public static IReadOnlyList<string> Command()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of the running cimhil is unknown");
        var host = Path.GetFileNameWithoutExtension(process);
        return string.Equals(host, "dotnet", StringComparison.OrdinalIgnoreCase)
            ? [process, Assembly.GetEntryAssembly()?.Location ?? Path.Combine(AppContext.BaseDirectory, "cimhil.dll")]
            : [process];
    }
}
