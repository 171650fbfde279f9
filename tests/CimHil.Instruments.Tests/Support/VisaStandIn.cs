using System.Diagnostics;
using CimHil.Instruments.Transports.Visa;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// Builds native/visa-standin/visa_standin.c with gcc into a temp directory once per test run and points
/// <see cref="VisaLibrary"/> at it, so the real P/Invoke declarations and marshalling are exercised.
/// </summary>
internal static class VisaStandIn
{
    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the built library (configured into <see cref="VisaLibrary"/>).</summary>
    public static string EnsureLoaded()
    {
        var path = Built.Value;
        VisaLibrary.Configure(path);
        return path;
    }

    private static string Build()
    {
        var source = Path.Combine(AppContext.BaseDirectory, "native", "visa_standin.c");
        if (!File.Exists(source))
        {
            throw new FileNotFoundException("the VISA stand-in source was not copied beside the tests", source);
        }

        var dir = Directory.CreateTempSubdirectory("cimhil-visa-");
        var output = Path.Combine(dir.FullName, "libvisa_standin.so");
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
            throw new InvalidOperationException($"gcc failed building the VISA stand-in ({gcc.ExitCode}): {errors}");
        }

        return output;
    }
}
