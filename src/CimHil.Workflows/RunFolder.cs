using System.Globalization;

namespace CimHil.Workflows;

/// <summary>The run-folder convention that run and study share: &lt;root&gt;/&lt;UTC timestamp&gt;, named by its last part.</summary>
public static class RunFolder
{
    /// <summary>A new run folder named by the UTC time under <paramref name="outputRoot"/>.</summary>
    public static string New(string outputRoot, DateTimeOffset now) =>
        Path.Combine(outputRoot, now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));

    /// <summary>The run id: the folder's own name.</summary>
    public static string IdOf(string folder) => Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
}
