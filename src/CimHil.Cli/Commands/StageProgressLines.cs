using System.Globalization;
using CimHil.Workflows;

namespace CimHil.Cli.Commands;

/// <summary>
/// A workflow's <see cref="StageProgress"/> as plain lines for a stdout that is not a terminal: one line when a stage starts,
/// one at each further tenth of it, one when it ends. Bars redrawn with cursor movements would fill a log file with escape
/// sequences and one copy of the bar per redraw.
/// </summary>
internal sealed class StageProgressLines(TextWriter output)
{
    private readonly Dictionary<string, int> _tenthsShown = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finished = new(StringComparer.Ordinal);

    /// <summary>Writes the line <paramref name="p"/> calls for, if any.</summary>
    public void Show(StageProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (_finished.Contains(p.Stage))
        {
            return;
        }

        var fraction = p.Total > 0 ? Math.Clamp(p.Done / p.Total, 0, 1) : 0;
        var detail = p.Detail is null ? string.Empty : $" ({p.Detail})";
        if (!_tenthsShown.TryGetValue(p.Stage, out var shown))
        {
            output.WriteLine($"{p.Stage}: started{detail}");
            _tenthsShown[p.Stage] = shown = 0;
        }

        if (p.Done >= p.Total && p.Detail is null)
        {
            _finished.Add(p.Stage);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Stage}: done in {p.ElapsedSeconds:F1} s"));
            output.Flush();
            return;
        }

        var tenths = (int)Math.Floor(fraction * 10);
        if (tenths > shown && tenths < 10)
        {
            _tenthsShown[p.Stage] = tenths;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Stage}: {tenths * 10} %{detail}"));
        }

        output.Flush();
    }
}
