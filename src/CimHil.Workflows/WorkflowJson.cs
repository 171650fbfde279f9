using System.Text.Json;
using System.Text.Json.Serialization;

namespace CimHil.Workflows;

/// <summary>How every workflow result file (results.json, monte-carlo.json, study.json, …) and every <c>--json</c> output is written.</summary>
public static class WorkflowJson
{
    /// <summary>camelCase names and enums, indented, NaN and ±∞ as named literals (a percentile over no chips, an "inf" threshold).</summary>
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
