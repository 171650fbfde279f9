using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Drivers.CimHilBoard;
using CimHil.Emulator;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Characterization.Tests;

/// <summary>
/// The emulator served as a CimHil board on a loopback TCP port (as <c>cimhil emulator serve</c> does), with its fault
/// injection, and the cimhil-board driver connected to it: the path a bench characterisation takes, on real sockets.
/// </summary>
public sealed class ServedBoard : IAsyncDisposable
{
    private readonly BoardTcpServer _tcp;

    private ServedBoard(EmulatedChip backing, BoardServer board, BoardTcpServer tcp)
    {
        Backing = backing;
        Board = board;
        _tcp = tcp;
    }

    /// <summary>The emulated array behind the wire (its clock is the board's clock).</summary>
    public EmulatedChip Backing { get; }

    /// <summary>The wire server: its pulse counters and fault injection.</summary>
    public BoardServer Board { get; }

    /// <summary>Called before each write of every connection with the running write count (1-based) and the text: arms faults at exact messages.</summary>
    public Action<long, string>? BeforeWrite { get; set; }

    /// <summary>Re-opens of a link by the session (each follows a failure: a drop, a garbled or late reply).</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Transport settings of the tests: short timeouts so an outage is found fast, 3 retries as in hil-config.json.</summary>
    public static string TransportJson { get; } =
        """{ "timeoutSeconds": 0.25, "connectTimeoutSeconds": 2, "retries": 3, "retryBaseDelaySeconds": 0.001, "retryMaxDelaySeconds": 0.01 }""";

    public static ServedBoard Start(long seed, int size = 16)
    {
        var backing = ChildHost.Chip(DeviceTechnology.Rram, seed, size);
        var board = new BoardServer(backing, Logger);
        var tcp = new BoardTcpServer(board, Logger);
        tcp.Start();
        return new ServedBoard(backing, board, tcp);
    }

    public static ILogger Logger { get; } = new LoggerConfiguration().MinimumLevel.Fatal().CreateLogger();

    /// <summary>The board's VISA resource string.</summary>
    public string Resource => _tcp.ResourceString;

    /// <summary>Connects the cimhil-board driver and wraps it in <see cref="SafeChip"/>, as the CLI does.</summary>
    public async Task<IChip> ConnectAsync(CancellationToken cancellationToken)
    {
        var config = HilConfigLoader.Parse($$"""
            {
              "chip": {
                "driver": "cimhil-board",
                "settings": { "resource": "{{_tcp.ResourceString}}" },
                "safety": { "maxSetVoltageV": 3, "maxResetVoltageV": 3.5, "maxFormVoltageV": 5, "maxReadVoltageV": 0.5, "maxGateVoltageV": 3,
                            "maxComplianceA": 5e-4, "maxPulseWidthSeconds": 1e-3, "minPulseWidthSeconds": 1e-9 }
              },
              "transport": {{TransportJson}}
            }
            """);
        var driver = new CimHilBoardDriver();
        var settings = driver.Parse(config.Chip.Settings);
        var chip = await driver.ConnectAsync(settings, new DriverContext { Config = config, Logger = Logger }, new HookedFactory(this), cancellationToken);
        return new SafeChip(chip, config.Chip.Safety);
    }

    public async ValueTask DisposeAsync()
    {
        await _tcp.DisposeAsync();
        Board.Dispose();
        await Backing.DisposeAsync();
    }

    private long _writes;
    private long _reconnects;

    private sealed class HookedFactory(ServedBoard owner) : ITransportFactory
    {
        public async Task<ITransport> OpenAsync(string resource, TransportOptions options, ILogger logger, CancellationToken cancellationToken) =>
            new HookedTransport(await TransportFactory.Instance.OpenAsync(resource, options, logger, cancellationToken), owner);
    }

    private sealed class HookedTransport(ITransport inner, ServedBoard owner) : ITransport
    {
        public string Resource => inner.Resource;

        public bool IsOpen => inner.IsOpen;

        public TimeSpan Timeout
        {
            get => inner.Timeout;
            set => inner.Timeout = value;
        }

        public ValueTask OpenAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner._reconnects);
            return inner.OpenAsync(cancellationToken);
        }

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            owner.BeforeWrite?.Invoke(Interlocked.Increment(ref owner._writes), System.Text.Encoding.ASCII.GetString(data.Span));
            return inner.WriteAsync(data, cancellationToken);
        }

        public ValueTask<byte[]> ReadUntilAsync(byte terminator, int maxBytes, CancellationToken cancellationToken) => inner.ReadUntilAsync(terminator, maxBytes, cancellationToken);

        public ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken) => inner.ReadExactAsync(count, cancellationToken);

        public ValueTask ClearAsync(CancellationToken cancellationToken) => inner.ClearAsync(cancellationToken);

        public ValueTask CloseAsync() => inner.CloseAsync();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
