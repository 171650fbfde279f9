using System.Globalization;
using Serilog;

namespace CimHil.Emulator.Instruments.B1500;

/// <summary>
/// An emulated Keysight B1500A mainframe speaking the part of its FLEX command set the b1500 driver uses (B1500A
/// programming guide, "Command Reference"): <c>*IDN?</c>, <c>*RST</c>, <c>*OPC?</c>, <c>UNT?</c> (installed modules, one
/// <c>model,revision</c> pair per slot 1–10, separated by ';'), <c>ERRX?</c> (next error as <c>code,"message"</c>, <c>0,"No Error."</c>
/// when empty), <c>CL</c> (all channels disabled: outputs off, relays open) and <c>DZ</c> (all channels to 0 V).
/// Several commands may share one message, separated by ';'. Unknown commands queue error 100 "Undefined GPIB command.".
/// </summary>
public sealed class B1500FlexEmulator : ILineInstrument
{
    /// <summary>Slots of the B1500A mainframe.</summary>
    public const int Slots = 10;

    private readonly B1500Bench _bench;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Queue<(int Code, string Message)> _errors = new();

    internal B1500FlexEmulator(B1500Bench bench, int wgfmuSlot, ILogger logger)
    {
        _bench = bench;
        _logger = logger;
        WgfmuSlot = wgfmuSlot;
    }

    public string Serial { get; init; } = "MY00001500";

    /// <summary>The slot that holds the B1530A.</summary>
    public int WgfmuSlot { get; }

    /// <summary><c>CL</c> commands received (every channel disabled).</summary>
    public int ClearChannelCount { get; private set; }

    /// <summary><c>DZ</c> commands received (every channel at 0 V).</summary>
    public int ZeroCount { get; private set; }

    public Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken)
    {
        var replies = new List<string>();
        lock (_gate)
        {
            foreach (var raw in message.Split(';'))
            {
                var command = raw.Trim();
                if (command.Length == 0)
                {
                    continue;
                }

                if (Execute(command) is { } reply)
                {
                    replies.Add(reply);
                }
            }
        }

        return Task.FromResult(replies.Count == 0 ? null : string.Join(';', replies));
    }

    private string? Execute(string command)
    {
        var space = command.IndexOf(' ', StringComparison.Ordinal);
        var head = (space < 0 ? command : command[..space]).ToUpperInvariant();
        var args = space < 0 ? "" : command[(space + 1)..].Trim();
        switch (head)
        {
            case "*IDN?":
                return $"Keysight Technologies,B1500A,{Serial},A.06.03.2021.0401";
            case "*RST":
                _errors.Clear();
                _bench.DisableAll();
                return null;
            case "*OPC?":
                return "1";
            case "UNT?":
                return string.Join(';', Enumerable.Range(1, Slots).Select(s => s == WgfmuSlot ? "B1530A,0" : "0,0"));
            case "ERRX?":
                return _errors.TryDequeue(out var e) ? $"{e.Code.ToString(CultureInfo.InvariantCulture)},\"{e.Message}\"" : "0,\"No Error.\"";
            case "CL":
            case "DZ":
                if (args.Length > 0 && !args.Split(',').All(a => int.TryParse(a.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ch) && ch >= 1))
                {
                    Error(120, $"Incorrect parameter value. {command}");
                    return null;
                }

                if (head == "CL")
                {
                    ClearChannelCount++;
                    _bench.DisableAll();
                }
                else
                {
                    ZeroCount++;
                    _bench.ZeroAll();
                }

                return null;
            default:
                Error(100, "Undefined GPIB command.");
                _logger.Debug("Emulated B1500A: undefined command {Command}", command);
                return null;
        }
    }

    private void Error(int code, string message)
    {
        if (_errors.Count < 32)
        {
            _errors.Enqueue((code, message));
        }
    }
}
