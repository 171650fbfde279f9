using System.Diagnostics;

namespace CimHil.Tests.Shared;

/// <summary>
/// Builds native/wgfmu-standin/wgfmu_standin.c with gcc into a temp directory once per test process, so tests drive
/// the real P/Invoke declarations of <c>WgfmuLibrary</c> against a library that forwards every call over TCP
/// (docs/wgfmu-standin.md). Linked into every test project that needs it.
/// </summary>
internal static class WgfmuStandIn
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the built stand-in library (pass it to <c>new WgfmuLibrary(path)</c>).</summary>
    public static string LibraryPath => Built.Value;

    private static string Build()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "native", "wgfmu_standin.c");
        if (!File.Exists(source))
        {
            throw new FileNotFoundException("the WGFMU stand-in source was not copied beside the tests", source);
        }

        var dir = Directory.CreateTempSubdirectory("cimhil-wgfmu-");
        var output = Path.Combine(dir.FullName, "libwgfmu_standin.so");
        var info = new ProcessStartInfo("gcc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-shared", "-fPIC", "-O2", "-Wall", "-o", output, source })
        {
            info.ArgumentList.Add(a);
        }

        using var gcc = Process.Start(info) ?? throw new InvalidOperationException("gcc did not start");
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"gcc failed building the WGFMU stand-in ({gcc.ExitCode}): {errors}");
        }

        return output;
    }
}
