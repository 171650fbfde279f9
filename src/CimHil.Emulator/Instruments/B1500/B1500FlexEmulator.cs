using System.Globalization;
using CimHil.Emulator.Scpi;
using Serilog;
using static CimHil.Emulator.Scpi.ScpiResponse;

namespace CimHil.Emulator.Instruments.B1500;

/// <summary>
/// An emulated Keysight B1500A mainframe speaking the part of its FLEX command set the b1500 driver uses (B1500A
/// programming guide, "Command Reference"): <c>*IDN?</c>, <c>*RST</c>, <c>*OPC?</c>, <c>UNT?</c> (installed modules, one
/// <c>model,revision</c> pair per slot 1–10, separated by ';'), <c>ERRX?</c> (next error as <c>code,"message"</c>, <c>0,"No Error."</c>
/// when empty), <c>CL</c> (all channels disabled: outputs off, relays open) and <c>DZ</c> (all channels to 0 V).
/// Several commands may share one message, separated by ';'. Unknown commands queue error 100 "Undefined GPIB command.".
/// </summary>
public sealed class B1500FlexEmulator : ILineInstrument, IScpiErrorQueueOwner
{
    /// <summary>Slots of the B1500A mainframe.</summary>
    public const int Slots = 10;

    private readonly B1500Bench _bench;
    private readonly ScpiInstrument _scpi;
    private int _clearChannelCount;
    private int _zeroCount;

    internal B1500FlexEmulator(B1500Bench bench, int wgfmuSlot, ILogger logger)
    {
        _bench = bench;
        WgfmuSlot = wgfmuSlot;
        ScpiCommand[] commands =
        [
            new("UNT?", (_, _) => TextTask(string.Join(';', Enumerable.Range(1, Slots).Select(s => s == WgfmuSlot ? "B1530A,0" : "0,0")))),
            new("ERRX?", (_, _) => TextTask(NextError())),
            new("CL", (r, _) => AllChannels(r, () => Interlocked.Increment(ref _clearChannelCount), _bench.DisableAll)),
            new("DZ", (r, _) => AllChannels(r, () => Interlocked.Increment(ref _zeroCount), _bench.ZeroAll)),
        ];

        // FLEX: an error is queued and the next command of the message runs; FLEX defines no queue-overflow error, so a
        // full queue keeps its first 32 entries.
        _scpi = new ScpiInstrument(
            new ScpiInstrumentOptions { Name = "Emulated B1500A", AfterError = ScpiErrorPolicy.Continue, SystemErrorQueries = false, QueueOverflowEntry = false },
            logger,
            () => $"Keysight Technologies,B1500A,{Serial},A.06.03.2021.0401",
            Reset,
            commands,
            (_, _) => throw new ScpiCommandException(100, "Undefined GPIB command."));
    }

    public string Serial { get; init; } = "MY00001500";

    /// <summary>The slot that holds the B1530A.</summary>
    public int WgfmuSlot { get; }

    /// <summary><c>CL</c> commands received (every channel disabled).</summary>
    public int ClearChannelCount => Volatile.Read(ref _clearChannelCount);

    /// <summary><c>DZ</c> commands received (every channel at 0 V).</summary>
    public int ZeroCount => Volatile.Read(ref _zeroCount);

    public Task<string?> ExecuteAsync(string message, CancellationToken cancellationToken) => _scpi.ExecuteTextAsync(message, cancellationToken);

    ScpiErrorQueue IScpiErrorQueueOwner.Errors => _scpi.Errors;

    private string NextError() => _scpi.Errors.Next("No Error.");

    private Task Reset(CancellationToken cancellationToken)
    {
        _scpi.Errors.Clear();
        _bench.DisableAll();
        return Task.CompletedTask;
    }

    /// <summary>CL and DZ act on every module; the optional channel list (numbers from 1) is checked, not used.</summary>
    private static Task<ScpiResponse?> AllChannels(ScpiRequest request, Action count, Action act)
    {
        if (!request.Parameters.All(a => int.TryParse(a, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ch) && ch >= 1))
        {
            throw new ScpiCommandException(120, $"Incorrect parameter value. {request.Unit}");
        }

        count();
        act();
        return None;
    }
}
