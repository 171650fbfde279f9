using System.Diagnostics;

namespace CimHil.Cli.Tests;

/// <summary>
/// The <c>./cimhil</c> launcher on a stand-in tree: a stand-in <c>dotnet</c> on PATH logs every call, "builds" by writing
/// the program and prints a build summary that must never reach the user. The real script, real bash, real files.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LauncherTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("cimhil-launcher-").FullName;

    public LauncherTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "scripts"));
        Directory.CreateDirectory(Path.Combine(_root, "src", "CimHil.Cli"));
        Directory.CreateDirectory(Path.Combine(_root, "drivers", "CimHil.Drivers.X"));
        Directory.CreateDirectory(Path.Combine(_root, "fakebin"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "launcher", "cimhil"), Path.Combine(_root, "cimhil"));
        File.Copy(Path.Combine(AppContext.BaseDirectory, "launcher", "cimhil.ps1"), Path.Combine(_root, "cimhil.ps1"));
        Write("scripts/setup.sh", "#!/usr/bin/env bash\necho setup >> \"$(dirname \"$0\")/../calls\"\n");
        Write("src/CimHil.Cli/CimHil.Cli.csproj", "<Project />\n");
        Write("src/CimHil.Cli/Program.cs", "// program\n");
        Write("drivers/CimHil.Drivers.X/Driver.cs", "// driver\n");
        Write("Directory.Build.props", "<Project />\n");
        Write("Directory.Packages.props", "<Project />\n");

        // The stand-in dotnet: `build` writes the program and chatters like MSBuild; `dotnet cimhil.dll` runs it.
        Write("fakebin/dotnet", """
            #!/usr/bin/env bash
            root="$(cd "$(dirname "$0")/.." && pwd)"
            if [ "$1" = build ]; then
              echo build >> "$root/calls"
              [ -e "$root/fail-build" ] && { echo "Program.cs(1,1): error CS1002: ; expected"; exit 1; }
              mkdir -p "$root/src/CimHil.Cli/bin/Release/net10.0"
              echo program > "$root/src/CimHil.Cli/bin/Release/net10.0/cimhil.dll"
              echo "Build succeeded."; echo "Time Elapsed 00:00:02.20"
              exit 0
            fi
            case "$1" in
              *cimhil.dll) echo run >> "$root/calls"; shift; echo "ran $*" ;;
              # Anything else is not ours: the pwsh tool shim runs its own dll through the real dotnet.
              *) exec "$REAL_DOTNET" "$@" ;;
            esac
            """);
        foreach (var script in new[] { "cimhil", "scripts/setup.sh", "fakebin/dotnet" })
        {
            File.SetUnixFileMode(Path.Combine(_root, script), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task FirstCall_BuildsWithOneLine_SecondCall_NeitherBuildsNorPrints()
    {
        var first = await LaunchAsync("info");
        Assert.Equal(0, first.Code);
        Assert.Equal("ran info\n", first.Out);
        Assert.Equal("cimhil: building the CLI (first run or sources changed)...\n", first.Err);

        var second = await LaunchAsync("info", "--json");
        Assert.Equal(0, second.Code);
        Assert.Equal("ran info --json\n", second.Out);
        Assert.Equal(string.Empty, second.Err);
        Assert.Equal(["setup", "build", "run", "run"], Calls());
    }

    [Theory]
    [InlineData("src/CimHil.Cli/Program.cs")]
    [InlineData("drivers/CimHil.Drivers.X/Driver.cs")]
    [InlineData("Directory.Packages.props")]
    public async Task ASourceChangedAfterTheBuild_BuildsAgain(string source)
    {
        Assert.Equal(0, (await LaunchAsync("info")).Code);
        File.SetLastWriteTimeUtc(Path.Combine(_root, source), DateTime.UtcNow.AddSeconds(5));

        var again = await LaunchAsync("info");
        Assert.Equal(0, again.Code);
        Assert.Contains("building the CLI", again.Err, StringComparison.Ordinal);
        Assert.Equal(2, Calls().Count(c => c == "build"));
    }

    [Fact]
    public async Task AChangeUnderBinOrObj_IsNotASourceChange()
    {
        Assert.Equal(0, (await LaunchAsync("info")).Code);
        var obj = Path.Combine(_root, "src", "CimHil.Cli", "obj", "project.assets.json");
        Directory.CreateDirectory(Path.GetDirectoryName(obj)!);
        File.WriteAllText(obj, "{}");
        File.SetLastWriteTimeUtc(obj, DateTime.UtcNow.AddSeconds(5));

        Assert.Equal(string.Empty, (await LaunchAsync("info")).Err);
        Assert.Equal(1, Calls().Count(c => c == "build"));
    }

    [Fact]
    public async Task AFailedBuild_ShowsTheCompilerOutput_AndRunsNothing()
    {
        File.WriteAllText(Path.Combine(_root, "fail-build"), string.Empty);

        var result = await LaunchAsync("info");
        Assert.Equal(1, result.Code);
        Assert.Equal(string.Empty, result.Out);
        Assert.Contains("error CS1002", result.Err, StringComparison.Ordinal);
        Assert.EndsWith("cimhil: the build failed (above)\n", result.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("run", Calls());
    }

    [Fact]
    public async Task WindowsLauncher_BuildsOnce_ThenRunsDirectly_AndBuildsAgainAfterAChange()
    {
        // cimhil.ps1 under PowerShell 7 (scripts/setup.sh installs it into .tools/), on the same stand-in tree.
        var first = await RunAsync(Pwsh, "-NoProfile", "-File", Path.Combine(_root, "cimhil.ps1"), "info");
        Assert.Equal(0, first.Code);
        Assert.Equal("cimhil: building the CLI (first run or sources changed)...\nran info\n", first.Out);

        var second = await RunAsync(Pwsh, "-NoProfile", "-File", Path.Combine(_root, "cimhil.ps1"), "info", "--json");
        Assert.Equal(0, second.Code);
        Assert.Equal("ran info --json\n", second.Out);

        File.SetLastWriteTimeUtc(Path.Combine(_root, "drivers", "CimHil.Drivers.X", "Driver.cs"), DateTime.UtcNow.AddSeconds(5));
        var third = await RunAsync(Pwsh, "-NoProfile", "-File", Path.Combine(_root, "cimhil.ps1"), "info");
        Assert.Equal(0, third.Code);
        Assert.Equal(["build", "run", "run", "build", "run"], Calls());
    }

    private static string Pwsh => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", ".tools", "pwsh"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string relative, string text) => File.WriteAllText(Path.Combine(_root, relative), text.ReplaceLineEndings("\n"));

    private string[] Calls() => File.Exists(Path.Combine(_root, "calls")) ? File.ReadAllLines(Path.Combine(_root, "calls")) : [];

    private Task<(int Code, string Out, string Err)> LaunchAsync(params string[] args) => RunAsync("bash", [Path.Combine(_root, "cimhil"), .. args]);

    private async Task<(int Code, string Out, string Err)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        start.Environment["REAL_DOTNET"] = path.Split(':').Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists) ?? "dotnet";
        start.Environment["PATH"] = $"{Path.Combine(_root, "fakebin")}:{path}";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await error);
    }
}
