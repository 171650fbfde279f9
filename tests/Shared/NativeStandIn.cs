using System.Diagnostics;

namespace CimHil.Tests.Shared;

/// <summary>Builds a stand-in C library (native/*, copied beside the tests) with gcc into a fresh temp directory.</summary>
internal static class NativeStandIn
{
    /// <summary>
    /// Compiles <c>native/<paramref name="sourceFile"/></c> into <paramref name="libraryFile"/> with <paramref name="compiler"/>
    /// (gcc; g++ for C++ sources); returns its path.
    /// </summary>
    public static string Build(string sourceFile, string libraryFile, string compiler = "gcc")
    {
        var source = Path.Combine(AppContext.BaseDirectory, "native", sourceFile);
        if (!File.Exists(source))
        {
            throw new FileNotFoundException($"the stand-in source {sourceFile} was not copied beside the tests", source);
        }

        var dir = Directory.CreateTempSubdirectory("cimhil-native-");
        var output = Path.Combine(dir.FullName, libraryFile);
        var info = new ProcessStartInfo(compiler) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-shared", "-fPIC", "-O2", "-Wall", "-o", output, source })
        {
            info.ArgumentList.Add(a);
        }

        using var gcc = Process.Start(info) ?? throw new InvalidOperationException($"{compiler} did not start");
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0)
        {
            throw new InvalidOperationException($"{compiler} failed building {sourceFile} ({gcc.ExitCode}): {errors}");
        }

        return output;
    }
}
