using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Instruments.Scpi;

namespace CimHil.Instruments.Switching;

/// <summary>How an array's lines reach a Keithley 707B: which card carries the word lines, which the bit lines, which card rows are the buses.</summary>
public sealed record MatrixCabling
{
    /// <summary>Columns of a Keithley 7174A matrix card (8 rows × 12 columns): one card holds at most 12 lines.</summary>
    public const int CardColumns = 12;

    public int WordLineSlot { get; init; } = 1;

    public int BitLineSlot { get; init; } = 2;

    /// <summary>Card row cabled to the source's force HI.</summary>
    public char HiRow { get; init; } = 'A';

    /// <summary>Card row cabled to the source's LO (the measuring side).</summary>
    public char LoRow { get; init; } = 'B';

    /// <summary>Card row cabled to the bias supply that holds unselected lines.</summary>
    public char BiasRow { get; init; } = 'C';

    /// <summary>The setting names <see cref="Parse"/> reads from a driver's <c>chip.settings</c>.</summary>
    public static IReadOnlyList<string> SettingNames { get; } = ["wordLineSlot", "bitLineSlot", "hiRow", "loRow", "biasRow"];

    /// <summary>
    /// The settings of a driver that reaches single cells through the matrix: array size, technology and cabling, for
    /// <c>cimhil instruments list</c>; <paramref name="hiSource"/> and <paramref name="loSource"/> say what the HI and LO rows carry.
    /// </summary>
    public static IReadOnlyList<DriverSetting> ArraySettings(string hiSource, string loSource) =>
    [
        new("rows", "integer 1–12", "Word lines of the array (one 7174A card)"),
        new("columns", "integer 1–12", "Bit lines of the array (one 7174A card)"),
        new("technology", "rram | pcm", "Memory technology of the array", "rram"),
        new("wordLineSlot", "integer 1–6", "707B slot whose card columns carry the word lines", "1"),
        new("bitLineSlot", "integer 1–6", "707B slot whose card columns carry the bit lines", "2"),
        new("hiRow", "letter A–H", $"Card row cabled to {hiSource}", "A"),
        new("loRow", "letter A–H", $"Card row cabled to {loSource}", "B"),
        new("biasRow", "letter A–H", "Card row cabled to the bias supply for unselected lines", "C"),
    ];

    /// <summary>Reads wordLineSlot, bitLineSlot, hiRow, loRow and biasRow (all optional) with JSON-path errors.</summary>
    public static MatrixCabling Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var cabling = new MatrixCabling
        {
            WordLineSlot = settings.Int("wordLineSlot", 1, 1, 6),
            BitLineSlot = settings.Int("bitLineSlot", 2, 1, 6),
            HiRow = Row(settings, "hiRow", 'A'),
            LoRow = Row(settings, "loRow", 'B'),
            BiasRow = Row(settings, "biasRow", 'C'),
        };
        if (cabling.WordLineSlot == cabling.BitLineSlot)
        {
            throw settings.Error("bitLineSlot", $"slot {cabling.BitLineSlot} already carries the word lines; word and bit lines need separate cards");
        }

        if (new[] { cabling.HiRow, cabling.LoRow, cabling.BiasRow }.Distinct().Count() != 3)
        {
            throw settings.Error("biasRow", $"hiRow, loRow and biasRow must be three different card rows, got {cabling.HiRow}, {cabling.LoRow}, {cabling.BiasRow}");
        }

        return cabling;
    }

    private static char Row(JsonSection settings, string name, char defaultRow)
    {
        var text = settings.String(name, defaultRow.ToString());
        return text.Length == 1 && char.ToUpperInvariant(text[0]) is >= 'A' and <= 'H'
            ? char.ToUpperInvariant(text[0])
            : throw settings.Error(name, $"'{text}' is not a matrix card row (A–H)");
    }
}

/// <summary>
/// A Keithley 707B-class switching matrix driven through its TSP command set (707B reference manual 707B-901-01, section 7)
/// over a <see cref="ScpiSession"/>: every statement is followed by an <c>errorqueue.count</c> check, because TSP has no
/// SYST:ERR?. Used by every driver that reaches single cells through the matrix.
/// </summary>
public sealed class Keithley707B(ScpiSession session)
{
    /// <summary>TSP that opens every crosspoint (channel.open()).</summary>
    public const string OpenAllCommand = "channel.open(\"allslots\")";

    public ScpiSession Session { get; } = session ?? throw new ArgumentNullException(nameof(session));

    /// <summary>Empties the error queue (errorqueue.clear()).</summary>
    public Task ClearErrorsAsync(CancellationToken cancellationToken) => TspAsync("errorqueue.clear()", cancellationToken);

    /// <summary>Opens every crosspoint.</summary>
    public Task OpenAllAsync(CancellationToken cancellationToken) => TspAsync(OpenAllCommand, cancellationToken);

    /// <summary>Routes <paramref name="cell"/> of a rows × columns array (see <see cref="RouteCommand"/>).</summary>
    public Task RouteAsync(CellAddress cell, MatrixCabling cabling, int rows, int columns, CancellationToken cancellationToken) =>
        TspAsync(RouteCommand(cell, cabling, rows, columns), cancellationToken);

    /// <summary>
    /// TSP that routes one cell: its word line to HI, its bit line to LO, every other line to the bias bus, and nothing
    /// else closed (channel.exclusiveclose()).
    /// </summary>
    public static string RouteCommand(CellAddress cell, MatrixCabling cabling, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(cabling);
        var channels = new List<string>
        {
            Channel(cabling.WordLineSlot, cabling.HiRow, cell.Row + 1),
            Channel(cabling.BitLineSlot, cabling.LoRow, cell.Column + 1),
        };
        for (var r = 0; r < rows; r++)
        {
            if (r != cell.Row)
            {
                channels.Add(Channel(cabling.WordLineSlot, cabling.BiasRow, r + 1));
            }
        }

        for (var c = 0; c < columns; c++)
        {
            if (c != cell.Column)
            {
                channels.Add(Channel(cabling.BitLineSlot, cabling.BiasRow, c + 1));
            }
        }

        return $"channel.exclusiveclose(\"{string.Join(',', channels)}\")";
    }

    /// <summary>Sends one TSP statement, then reads <c>errorqueue.count</c> and raises the first queued error, if any.</summary>
    public async Task TspAsync(string statement, CancellationToken cancellationToken)
    {
        await Session.WriteAsync(statement, cancellationToken).ConfigureAwait(false);
        var reply = await Session.QueryAsync("print(errorqueue.count)", cancellationToken).ConfigureAwait(false);
        var count = double.TryParse(reply.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n)
            ? n
            : throw new InstrumentProtocolException(Session.Resource, $"{Session.Resource}: reply '{reply}' to errorqueue.count is not a number");
        if (count < 1)
        {
            return;
        }

        var errors = new List<ScpiError>();
        for (var i = 0; i < count && i < 32; i++)
        {
            var fields = (await Session.QueryAsync("print(errorqueue.next())", cancellationToken).ConfigureAwait(false)).Split('\t');
            var code = fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var c) ? (int)c : -300;
            errors.Add(new ScpiError(code, fields.Length > 1 ? fields[1] : string.Join(' ', fields)));
        }

        throw new ScpiErrorException(Session.Resource, statement, errors[0], errors);
    }

    private static string Channel(int slot, char row, int column) =>
        $"{slot.ToString(CultureInfo.InvariantCulture)}{row}{column.ToString("00", CultureInfo.InvariantCulture)}";
}
