using System.Globalization;
using System.Text.RegularExpressions;
using CimHil.Core.Safety;
using CimHil.Instruments.Scpi;

namespace CimHil.Drivers.CimHilBoard;

/// <summary>
/// A board that refuses a stimulus against its own safety limits answers -222 with the limit in the text
/// (docs/protocol.md, "Safety limits"); to the caller that is a <see cref="SafetyLimitException"/>, the same as a refusal
/// by the bench's own limits: nothing was applied, and retrying will not help.
/// </summary>
internal static partial class BoardRefusal
{
    /// <summary>The refusal as a <see cref="SafetyLimitException"/> naming the board, or null when the error is another one.</summary>
    public static SafetyLimitException? AsSafetyLimit(ScpiErrorException error, string resource)
    {
        if (error.Code != -222)
        {
            return null;
        }

        var m = Refusal().Match(error.ErrorMessage);
        if (!m.Success
            || !double.TryParse(m.Groups["value"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            || !double.TryParse(m.Groups["limit"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var limit))
        {
            return null;
        }

        var rule = m.Groups["rule"].Value switch
        {
            "is below the minimum" => SafetyRule.Minimum,
            "must be above" => SafetyRule.Above,
            _ => SafetyRule.Maximum,
        };
        return new SafetyLimitException($"{resource}: {m.Groups["operation"].Value}", m.Groups["quantity"].Value, value, limit, m.Groups["unit"].Value, rule);
    }

    // "Data out of range;SET pulse refused: |amplitude| 4 V exceeds the maximum 3 V; nothing was applied" (the wording of
    // SafetyLimitException: "exceeds the maximum", "is below the minimum" or "must be above").
    [GeneratedRegex(@"^Data out of range;(?<operation>.+?) refused: (?<quantity>.+) (?<value>\S+) (?<unit>\S+) (?<rule>exceeds the maximum|is below the minimum|must be above) (?<limit>\S+) \k<unit>; nothing was applied$", RegexOptions.CultureInvariant)]
    private static partial Regex Refusal();
}
