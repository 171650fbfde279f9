using System.Diagnostics;
using CimHil.Tests.Shared;

namespace CimHil.Cli.Tests;

/// <summary>
/// The built <c>cimhil</c> as its own process in a folder of the test's choosing: what a user gets who runs it outside
/// the repository (an in-process run shares the test runner's current folder and environment).
/// </summary>
internal static class CliProcess
{
    public static Task<(int Code, string Out, string Err)> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, new Dictionary<string, string?>(), args);

    /// <summary>As above, with <paramref name="environment"/> set in the child (a null value removes the variable).</summary>
    public static Task<(int Code, string Out, string Err)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        RunAsync(workingDirectory, environment, DefaultTimeout, args);

    /// <summary>How long a command may run before it is killed and its test fails.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// As above, killed with every process it started when it runs past <paramref name="timeout"/>; the test then fails
    /// with what it had written (<see cref="ChildProcess.RunAsync"/>).
    /// </summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cimhil.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        // Nothing of the test runner's bench: no config, no VISA library named.
        start.Environment.Remove("CIMHIL_CONFIG");
        start.Environment.Remove("CIMHIL_VISA_LIBRARY");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return await ChildProcess.RunAsync(start, timeout, $"cimhil {string.Join(' ', args)}");
    }

    /// <summary>A new empty folder: no hil-config.json, no models/, nothing of the repository.</summary>
    public static string EmptyFolder() => Directory.CreateTempSubdirectory("cimhil-empty-").FullName;
}
