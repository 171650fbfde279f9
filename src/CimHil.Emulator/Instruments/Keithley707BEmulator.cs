using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CimHil.Core.Chip;
using CimHil.Emulator.Scpi;
using Serilog;

namespace CimHil.Emulator.Instruments;

/// <summary>
/// An emulated Keithley 707B switching matrix speaking the subset of its TSP command set the smu-matrix driver uses
/// (707B reference manual 707B-901-01, section 7 "TSP command reference"): <c>channel.close()</c>, <c>channel.open()</c>,
/// <c>channel.exclusiveclose()</c>, <c>print(channel.getclose())</c>, <c>errorqueue.count</c>, <c>errorqueue.next()</c>,
/// <c>errorqueue.clear()</c>, <c>reset()</c>, plus the IEEE 488.2 common commands <c>*IDN?</c>, <c>*RST</c>, <c>*CLS</c>, <c>*OPC?</c>.
/// Channels are named slot, row letter, two-digit column ("1A01"); only the slots the bench wires hold cards.
/// </summary>
public sealed partial class Keithley707BEmulator : ILineInstrument, IScpiErrorQueueOwner
{
    private readonly MatrixWiring _wiring;
    private readonly Lock _gate = new();
    private readonly SortedSet<string> _closed = new(StringComparer.Ordinal);
    private readonly ScpiInstrument _scpi;

    internal Keithley707BEmulator(MatrixWiring wiring, ILogger logger)
    {
        _wiring = wiring;

        // TSP: the IEEE 488.2 common commands plus Lua statements, which get every unit that is not a common command.
        // A chunk stops at the failing statement; what earlier statements printed, one line each, has been sent.
        _scpi = new ScpiInstrument(
            new ScpiInstrumentOptions
            {
                Name = "Emulated 707B",
                ResponseSeparator = '\n',
                AfterError = ScpiErrorPolicy.KeepEarlierResponses,
                ReplyEncoding = Encoding.UTF8,
                SystemErrorQueries = false,
            },
            logger,
            () => $"Keithley Instruments Inc., Model 707B, {Serial}, 1.8.0",
            _ => Reset(),
            [],
            (request, _) => Task.FromResult(Execute(request.Unit) is { } reply ? ScpiResponse.Text(reply) : null));
    }

    public string Serial { get; init; } = "04210001";

    /// <summary>Closed crosspoints in the order <c>channel.getclose()</c> lists them.</summary>
    public IReadOnlyList<string> ClosedChannels
    {
        get
        {
            lock (_gate)
            {
                return [.. _closed];
            }
        }
    }

    /// <summary>Relay closures since start (each crosspoint that went from open to closed).</summary>
    public long Closures { get; private set; }

    public int ErrorCount => _scpi.Errors.Count;

    /// <summary>The channel identifier of a crosspoint: slot, row letter, two-digit column.</summary>
    public static string ChannelId(int slot, char row, int column) =>
        $"{slot.ToString(CultureInfo.InvariantCulture)}{char.ToUpperInvariant(row)}{column.ToString("00", CultureInfo.InvariantCulture)}";

    public Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken) => _scpi.ExecuteTextAsync(message, cancellationToken);

    ScpiErrorQueue IScpiErrorQueueOwner.Errors => _scpi.Errors;

    /// <summary>
    /// The cells of a <paramref name="geometry"/> array that the source between the HI and LO buses drives now, with the
    /// sign of the voltage across each (+1: word line on HI); <paramref name="shorted"/> when a line on HI is also on LO
    /// or on the bias bus (the source output is shorted).
    /// </summary>
    public IReadOnlyList<(CellAddress Cell, int Sign)> DrivenCells(ArrayGeometry geometry, out bool shorted)
    {
        var closed = ClosedSet();
        bool[][] LineBuses(int slot, int lines) => Enumerable.Range(1, lines)
            .Select(i => new[] { _wiring.HiRow, _wiring.LoRow, _wiring.BiasRow }.Select(row => closed.Contains(ChannelId(slot, row, i))).ToArray())
            .ToArray();
        var wl = LineBuses(_wiring.WordLineSlot, geometry.Rows);
        var bl = LineBuses(_wiring.BitLineSlot, geometry.Columns);
        shorted = wl.Concat(bl).Any(b => b[0] && (b[1] || b[2]));
        var cells = new List<(CellAddress, int)>();
        for (var r = 0; r < wl.Length; r++)
        {
            for (var c = 0; c < bl.Length; c++)
            {
                if (wl[r][0] && bl[c][1])
                {
                    cells.Add((new CellAddress(r, c), +1));
                }
                else if (wl[r][1] && bl[c][0])
                {
                    cells.Add((new CellAddress(r, c), -1));
                }
            }
        }

        return cells;
    }

    internal HashSet<string> ClosedSet()
    {
        lock (_gate)
        {
            return [.. _closed];
        }
    }

    private string? Execute(string statement)
    {
        switch (statement.ToUpperInvariant())
        {
            case "RESET()":
                Reset();
                return null;
            case "ERRORQUEUE.CLEAR()":
                _scpi.Errors.Clear();
                return null;
            case "PRINT(ERRORQUEUE.COUNT)":
                return TspNumber(ErrorCount);
            case "PRINT(ERRORQUEUE.NEXT())":
                // errorqueue.next() returns errorCode, message, severity, errorNode; print() separates values by tabs.
                return _scpi.Errors.TryDequeue(out var e)
                    ? $"{TspNumber(e.Code)}\t{e.Message}\t{TspNumber(2)}\t{TspNumber(1)}"
                    : $"{TspNumber(0)}\tQueue Is Empty\t{TspNumber(0)}\t{TspNumber(1)}";
        }

        var print = PrintCall().Match(statement);
        if (print.Success)
        {
            var list = ScpiMessage.Unquote(print.Groups["arg"].Value);
            var selected = Parse(list, allowSlots: true).ToHashSet(StringComparer.Ordinal);
            var closed = ClosedChannels.Where(selected.Contains).ToList();

            // getclose() returns nil when nothing is closed (707B manual, channel.exclusiveclose() details).
            return closed.Count == 0 ? "nil" : string.Join(';', closed);
        }

        var call = ChannelCall().Match(statement);
        if (!call.Success)
        {
            throw new ScpiCommandException(-285, $"TSP Syntax error;unexpected statement '{statement}'");
        }

        var arg = ScpiMessage.Unquote(call.Groups["arg"].Value);
        switch (call.Groups["fn"].Value)
        {
            case "close":
                Close(Parse(arg, allowSlots: false));
                break;
            case "open":
                Open(Parse(arg, allowSlots: true));
                break;
            case "exclusiveclose":
                var channels = string.IsNullOrWhiteSpace(arg) ? [] : Parse(arg, allowSlots: false);
                Open(ClosedChannels.Except(channels, StringComparer.Ordinal).ToList());
                Close(channels);
                break;
            default:
                throw new ScpiCommandException(-285, $"TSP Syntax error;channel.{call.Groups["fn"].Value}() is not emulated");
        }

        return null;
    }

    private Task Reset()
    {
        Open(AllChannels());
        return Task.CompletedTask;
    }

    private void Close(IReadOnlyList<string> channels)
    {
        lock (_gate)
        {
            foreach (var ch in channels)
            {
                if (_closed.Add(ch))
                {
                    Closures++;
                }
            }
        }
    }

    private void Open(IReadOnlyList<string> channels)
    {
        lock (_gate)
        {
            foreach (var ch in channels)
            {
                _closed.Remove(ch);
            }
        }
    }

    private int[] Cards() => [_wiring.WordLineSlot, _wiring.BitLineSlot];

    private List<string> AllChannels() => Cards().SelectMany(SlotChannels).ToList();

    private static IEnumerable<string> SlotChannels(int slot)
    {
        for (var r = 0; r < MatrixWiring.CardRows; r++)
        {
            for (var c = 1; c <= MatrixWiring.CardColumns; c++)
            {
                yield return ChannelId(slot, (char)('A' + r), c);
            }
        }
    }

    /// <summary>
    /// A channel list: comma-separated channels ("1A01"), ranges ("1A01:1A05", the rectangle between two corners),
    /// and, where allowed, "slotN" and "allslots" (707B manual, "Channel list parameter for remote commands").
    /// Nothing is changed when any item is invalid.
    /// </summary>
    private List<string> Parse(string list, bool allowSlots)
    {
        var result = new List<string>();
        foreach (var raw in list.Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var item = raw.ToUpperInvariant();
            if (item == "ALLSLOTS" || item.StartsWith("SLOT", StringComparison.Ordinal))
            {
                if (!allowSlots)
                {
                    throw new ScpiCommandException(-222, $"Parameter data out of range;'{raw}' is not allowed in this channel list");
                }

                if (item == "ALLSLOTS")
                {
                    result.AddRange(AllChannels());
                    continue;
                }

                var slot = int.TryParse(item[4..], CultureInfo.InvariantCulture, out var s) ? s : -1;
                RequireCard(slot, raw);
                result.AddRange(SlotChannels(slot));
                continue;
            }

            var ends = item.Split(':');
            if (ends.Length > 2)
            {
                throw new ScpiCommandException(-222, $"Parameter data out of range;'{raw}' is not a channel range");
            }

            var (s0, r0, c0) = Channel(ends[0], raw);
            var (s1, r1, c1) = ends.Length == 2 ? Channel(ends[1], raw) : (s0, r0, c0);
            if (s1 != s0 || r1 < r0 || c1 < c0)
            {
                throw new ScpiCommandException(-222, $"Parameter data out of range;'{raw}' must run from the lower to the higher channel of one slot");
            }

            for (var r = r0; r <= r1; r++)
            {
                for (var c = c0; c <= c1; c++)
                {
                    result.Add(ChannelId(s0, r, c));
                }
            }
        }

        return result;
    }

    private (int Slot, char Row, int Column) Channel(string id, string raw)
    {
        var m = ChannelPattern().Match(id);
        if (!m.Success)
        {
            throw new ScpiCommandException(-222, $"Parameter data out of range;'{raw}' is not a channel (slot, row A–H, column 01–12)");
        }

        var slot = m.Groups["slot"].Value[0] - '0';
        var row = m.Groups["row"].Value[0];
        var column = int.Parse(m.Groups["col"].Value, CultureInfo.InvariantCulture);
        RequireCard(slot, raw);
        if (row > (char)('A' + MatrixWiring.CardRows - 1) || column < 1 || column > MatrixWiring.CardColumns)
        {
            throw new ScpiCommandException(-222, $"Parameter data out of range;channel '{raw}' does not exist on the card");
        }

        return (slot, row, column);
    }

    private void RequireCard(int slot, string raw)
    {
        if (!Cards().Contains(slot))
        {
            throw new ScpiCommandException(-222, $"Parameter data out of range;slot of '{raw}' is empty");
        }
    }

    /// <summary>TSP prints numbers in %.5e-like form by default (format.asciiprecision), e.g. 0.00000e+00.</summary>
    private static string TspNumber(double value) => value.ToString("0.00000e+00", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^print\s*\(\s*channel\.getclose\s*\((?<arg>.*)\)\s*\)$", RegexOptions.CultureInvariant)]
    private static partial Regex PrintCall();

    [GeneratedRegex(@"^channel\.(?<fn>[a-z]+)\s*\((?<arg>.*)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex ChannelCall();

    [GeneratedRegex(@"^(?<slot>[1-6])(?<row>[A-H])(?<col>\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex ChannelPattern();
}
