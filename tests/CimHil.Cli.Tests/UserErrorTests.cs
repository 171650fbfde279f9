using System.Diagnostics;

namespace CimHil.Cli.Tests;

/// <summary>
/// Bad inputs across the commands: each exits with the code docs/cli.md documents and says what was wrong in one line;
/// no .NET stack trace reaches stdout or stderr (it goes to the log file only).
/// </summary>
public class UserErrorTests
{
    private static readonly string Config = CliHarness.ConfigVariant(s => s);
    private static readonly string Files = Directory.CreateTempSubdirectory("cimhil-bad-inputs-").FullName;
    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");

    static UserErrorTests()
    {
        File.WriteAllText(Path.Combine(Files, "bad.json"), "{ \"chip\": ");
        File.WriteAllText(Path.Combine(Files, "wrong-type.json"), "{ \"chip\": 5 }");
        File.WriteAllText(Path.Combine(Files, "bad.safetensors"), "not a model");
        File.WriteAllText(Path.Combine(Files, "not-sqlite.db"), "not a database");
        File.WriteAllText(Path.Combine(Files, "bad-plan-type.json"), "{ \"name\": \"x\", \"readVoltageV\": \"abc\" }");
        var shipped = File.ReadAllText(Config);
        File.WriteAllText(Path.Combine(Files, "no-driver.json"), shipped.Replace("\"driver\": \"emulator\"", "\"driver\": \"nosuch\"", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(Files, "bad-resource.json"), shipped.Replace(
            "\"driver\": \"emulator\",\n    \"settings\": {},", "\"driver\": \"cimhil-board\",\n    \"settings\": { \"resource\": \"TCPIP0::::SOCKET\" },", StringComparison.Ordinal));
    }

    public static TheoryData<int, string> BadInputs => new()
    {
        // 2: the command line is wrong
        { ExitCodes.Usage, "nosuchcommand" },
        { ExitCodes.Usage, "read" },
        { ExitCodes.Usage, "read --cell 1;2" },
        { ExitCodes.Usage, "read --row -1" },
        { ExitCodes.Usage, "read --row 99999999999" },
        { ExitCodes.Usage, "read --cell 0,0 --voltage abc" },
        { ExitCodes.Usage, "program --cell 0,0 --polarity sideways --amplitude 1" },
        { ExitCodes.Usage, "program --cell 0,0 --polarity set --amplitude nan" },
        { ExitCodes.Usage, "program --cell 0,0 --polarity set --amplitude -1" },
        { ExitCodes.Usage, "program --cell 0,0 --polarity set --amplitude 1 --compliance -1" },
        { ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --chips 2147483647" },
        { ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --chips 0" },
        { ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --k 1e308" },
        { ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --images 2147483647" },
        { ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --batch 0" },
        { ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --bits 99" },
        { ExitCodes.Usage, "worst-case --model {model} --device-model gaussian:0.1 --k 1e308" },
        { ExitCodes.Usage, "worst-case --model {model} --device-model gaussian:0.1 --k abc" },
        { ExitCodes.Usage, "worst-case --model {model} --device-model gaussian:0.1 --k 1 --images 0" },
        { ExitCodes.Usage, "worst-case --model {model} --device-model gaussian:0.1 --k 1 --steps 2147483647" },
        { ExitCodes.Usage, "worst-case --model {model} --device-model gaussian:0.1 --k 1 --method nosuch" },
        { ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --time -1" },
        { ExitCodes.Usage, "train --epochs 2147483647" },
        { ExitCodes.Usage, "train --model nosuch --epochs 1" },
        { ExitCodes.Usage, "train --epochs 1 --batch-size 0" },
        { ExitCodes.Usage, "train --epochs 1 --method atrice --k 1e308" },
        { ExitCodes.Usage, "study --chips 2147483647" },
        { ExitCodes.Usage, "study --ks 1,1e308" },
        { ExitCodes.Usage, "study --epochs 0" },
        { ExitCodes.Usage, "instruments probe garbage" },
        { ExitCodes.Usage, "instruments probe TCPIP0::127.0.0.1::99999::SOCKET" },
        { ExitCodes.Usage, "instruments probe TCPIP0::127.0.0.1::5025::SOCKET --count 2147483647" },
        { ExitCodes.Usage, "demo --cycles 2147483647" },
        { ExitCodes.Usage, "emulator serve --port 99999" },
        { ExitCodes.Usage, "emulator serve --rows 100000" },
        { ExitCodes.Usage, "calibrate {files}/not-sqlite.db --out {files}/x.json --bootstrap 2147483647" },

        // 3: a file is wrong or missing, or a library the configuration needs
        { ExitCodes.BadInput, "info --config {files}/bad.json" },
        { ExitCodes.BadInput, "info --config {files}/wrong-type.json" },
        { ExitCodes.BadInput, "info --config {files}/missing.json" },
        { ExitCodes.BadInput, "evaluate --model {files}/bad.safetensors --device-model gaussian:0.1 --chips 2 --images 10" },
        { ExitCodes.BadInput, "evaluate --model {files}/missing.safetensors --device-model gaussian:0.1 --chips 2 --images 10" },
        { ExitCodes.BadInput, "evaluate --model {model} --device-model {files}/bad.json --chips 2 --images 10" },
        { ExitCodes.BadInput, "evaluate --model {model} --device-model {files}/missing.json --chips 2 --images 10" },
        { ExitCodes.BadInput, "evaluate --model {model} --device-model gaussian:0.1 --chips 2 --images 10 --data {files}/no-data" },
        { ExitCodes.BadInput, "worst-case --model {model} --device-model gaussian:0.1 --k 1 --verify {files}/missing.safetensors --images 10" },
        { ExitCodes.BadInput, "calibrate {files}/missing.db --out {files}/x.json" },
        { ExitCodes.BadInput, "calibrate {files}/not-sqlite.db --out {files}/x.json" },
        { ExitCodes.BadInput, "characterize --plan {files}/missing.json --out {files}/x.db" },
        { ExitCodes.BadInput, "characterize --plan {files}/bad.json --out {files}/x.db" },
        { ExitCodes.BadInput, "characterize --plan {files}/bad-plan-type.json --out {files}/x.db" },
        { ExitCodes.BadInput, "study --device-model {files}/missing.json --epochs 1" },
        { ExitCodes.BadInput, "info --config {files}/no-driver.json" },
        { ExitCodes.BadInput, "read --cell 0,0 --config {files}/bad-resource.json" },
        { ExitCodes.BadInput, "instruments probe GPIB0::5::INSTR --count 1" },

        // 4: refused by a safety limit
        { ExitCodes.SafetyRefused, "read --cell 0,0 --voltage 0" },
        { ExitCodes.SafetyRefused, "read --row 0 --voltage -0.2" },
        { ExitCodes.SafetyRefused, "read --cell 0,0 --voltage 0.9" },
        { ExitCodes.SafetyRefused, "program --cell 0,0 --polarity set --amplitude 1 --width 1e-9" },
        { ExitCodes.SafetyRefused, "program --cell 0,0 --polarity reset --amplitude 9" },

        // 6: the chip refused
        { ExitCodes.ChipError, "read --cell 64,0" },
        { ExitCodes.ChipError, "read --block 0,0,100000,100000" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task BadInput_ExitsWithTheDocumentedCode_InOneLineWithoutAStackTrace(int expected, string commandLine)
    {
        var args = Arguments(commandLine);

        var (code, output, error) = await CliHarness.RunAsync(args);

        Assert.True(code == expected, $"exit {code}, expected {expected}: {error}");
        AssertNoStackTrace(output + error);
        var said = error.Split('\n').Where(l => l.StartsWith("cimhil: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(said);
        Assert.DoesNotContain("internal error", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_GpibWithoutAVisaLibrary_Exits3_NamingTheLibraryAndWhatToInstall()
    {
        var (code, _, error) = await CliHarness.RunAsync("instruments", "probe", "GPIB0::5::INSTR", "--count", "1", "--config", Config);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("no transport can reach a GPIB resource: built-in transports tried: socket, serial, VXI-11, HiSLIP, usbtmc (none serves GPIB); no vendor VISA library is installed (looked for libvisa.so.0", error, StringComparison.Ordinal);
        Assert.Contains("install a vendor VISA with a GPIB driver (NI-VISA with NI-488.2, Keysight IO Libraries Suite)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInput_StackTraceGoesToTheLogFile()
    {
        var config = CliHarness.ConfigVariant(s => s); // its log file lies beside it
        var logs = Path.GetDirectoryName(config)!;

        var (code, _, error) = await CliHarness.RunAsync("evaluate", "--model", Path.Combine(Files, "bad.safetensors"), "--device-model", "gaussian:0.1", "--images", "10", "--config", config);

        Assert.Equal(ExitCodes.BadInput, code);
        AssertNoStackTrace(error);
        var log = string.Concat(Directory.GetFiles(logs, "*.log").Select(File.ReadAllText));
        Assert.Contains("Command failed with exit code 3", log, StringComparison.Ordinal);
        Assert.Contains("   at CimHil.", log, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ExitCodes.SafetyRefused, "read --cell 0,0 --voltage 0")]
    [InlineData(ExitCodes.Usage, "evaluate --model {model} --device-model gaussian:0.1 --chips 2147483647")]
    [InlineData(ExitCodes.BadInput, "evaluate --model {files}/bad.safetensors --device-model gaussian:0.1 --images 10")]
    public async Task BadInput_RealProcess_PrintsNoStackTraceOnTheConsole(int expected, string commandLine)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Files };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cimhil.dll"));
        foreach (var arg in Arguments(commandLine))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(process.ExitCode == expected, $"exit {process.ExitCode}, expected {expected}: {await error}");
        AssertNoStackTrace(await output + await error);
    }

    private static string[] Arguments(string commandLine)
    {
        var args = commandLine.Replace("{model}", Model, StringComparison.Ordinal).Replace("{files}", Files, StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return args.Contains("--config") ? args : [.. args, "--config", Config];
    }

    private static void AssertNoStackTrace(string text)
    {
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("--- End of", text, StringComparison.Ordinal);
    }
}
