using System.Text.Json;

namespace CimHil.Cli.Tests;

/// <summary>Runs the real command tree in-process with the shipped config (or a variant) and captures stdout/stderr.</summary>
internal static class CliHarness
{
    public static string ShippedConfig => Path.Combine(AppContext.BaseDirectory, "hil-config.json");

    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Writes a copy of the shipped config with <paramref name="edit"/> applied; logs go to a temp folder.</summary>
    public static string ConfigVariant(Func<string, string> edit)
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-cli-");
        var text = File.ReadAllText(ShippedConfig).Replace("\"logs/cimhil-.log\"", JsonSerializer.Serialize(Path.Combine(dir.FullName, "log-.log")), StringComparison.Ordinal);
        var path = Path.Combine(dir.FullName, "hil-config.json");
        File.WriteAllText(path, edit(text));
        return path;
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;
}
