using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Drivers.B1500;
using CimHil.Drivers.CimHilBoard;
using CimHil.Drivers.Keithley2600B;
using CimHil.Drivers.Keithley4200A;
using CimHil.Drivers.SmuMatrix;
using CimHil.Emulator;
using CimHil.Emulator.Instruments;
using CimHil.Emulator.Instruments.B1500;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Wgfmu;
using CimHil.Tests.Shared;
using Serilog;

namespace CimHil.Drivers.Tests.Support;

/// <summary>A driver's chip connected to its emulated counterpart, with what the tests inspect.</summary>
internal sealed class Rig : IAsyncDisposable
{
    private readonly Func<ValueTask> _stop;

    public Rig(IChip chip, EmulatedChip backing, RecordingTransportFactory wire, Func<ValueTask> stop)
    {
        Chip = chip;
        Backing = backing;
        Wire = wire;
        _stop = stop;
    }

    /// <summary>The driver's raw chip (not yet wrapped in SafeChip).</summary>
    public IChip Chip { get; }

    /// <summary>The emulated array behind the instruments: ground truth for every reading.</summary>
    public EmulatedChip Backing { get; }

    public RecordingTransportFactory Wire { get; }

    /// <summary>The emulated probe station, for smu-matrix rigs.</summary>
    public SmuMatrixBench? Bench { get; init; }

    /// <summary>The emulated 2636B + 707B, for keithley-2600b rigs.</summary>
    public Keithley2600BBench? K2600B { get; init; }

    /// <summary>The emulated 4200A-SCS + 707B, for keithley-4200a rigs.</summary>
    public Keithley4200ABench? K4200A { get; init; }

    /// <summary>The emulated B1500A + WGFMU + 707B, for b1500 rigs.</summary>
    public B1500Bench? B1500 { get; init; }

    /// <summary>The emulated WGFMU's server: its transcript holds every library call line (b1500 rigs).</summary>
    public LineInstrumentServer? WgfmuServer { get; init; }

    /// <summary>The emulated board server, for cimhil-board rigs (fault injection).</summary>
    public BoardServer? Board { get; init; }

    /// <summary>The smu and matrix resource strings (smu-matrix) or the board's.</summary>
    public string[] Resources { get; init; } = [];

    public async ValueTask DisposeAsync()
    {
        await Chip.DisposeAsync();
        await _stop();
    }
}

/// <summary>Emulated arrays, configs and rigs shared by the driver tests.</summary>
internal static class Benches
{
    public static ILogger Logger { get; } = new LoggerConfiguration().MinimumLevel.Warning().CreateLogger();

    /// <summary>
    /// A 4×4 HfOx RRAM array with low read noise and no stuck cells, so a program/read round trip is decided by the
    /// physics, not by luck; the seed is fixed.
    /// </summary>
    public static EmulatorSettings Array { get; } = new()
    {
        Technology = DeviceTechnology.Rram,
        Seed = 7,
        Rows = 4,
        Columns = 4,
        Serial = "EMU-DRV-7",
        Rram = new RramPhysics { ReadNoiseRelative = 0.002, ReadNoiseFloorS = 1e-9, StuckOnRate = 0, StuckOffRate = 0 },
    };

    /// <summary>KXCI messages as they go on the wire: each ended with NUL.</summary>
    public static string Kxci(params string[] messages) => string.Concat(messages.Select(m => m + "\0"));

    /// <summary>Limits every rig runs under: inside both drivers' maxima (the smu-matrix needs pulses of at least 1 ms).</summary>
    public static SafetyLimits Limits { get; } = new()
    {
        MaxSetVoltageV = 3.0,
        MaxResetVoltageV = 3.5,
        MaxFormVoltageV = 5.0,
        MaxReadVoltageV = 0.5,
        MaxGateVoltageV = 3.0,
        MaxComplianceA = 500e-6,
        MaxPulseWidthSeconds = 10e-3,
        MinPulseWidthSeconds = 1e-3,
    };

    /// <summary>A hil-config.json for <paramref name="driver"/> with <paramref name="settingsJson"/> and <see cref="Limits"/>.</summary>
    public static HilConfig Config(string driver, string settingsJson, string? transportJson = null)
    {
        var l = Limits;
        string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var json = $$"""
            {
              "chip": {
                "driver": "{{driver}}",
                "settings": {{settingsJson}},
                "safety": {
                  "maxSetVoltageV": {{N(l.MaxSetVoltageV)}}, "maxResetVoltageV": {{N(l.MaxResetVoltageV)}}, "maxFormVoltageV": {{N(l.MaxFormVoltageV)}},
                  "maxReadVoltageV": {{N(l.MaxReadVoltageV)}}, "maxGateVoltageV": {{N(l.MaxGateVoltageV)}}, "maxComplianceA": {{N(l.MaxComplianceA)}},
                  "maxPulseWidthSeconds": {{N(l.MaxPulseWidthSeconds)}}, "minPulseWidthSeconds": {{N(l.MinPulseWidthSeconds)}}
                }
              },
              "transport": {{transportJson ?? DefaultTransport}}
            }
            """;
        return HilConfigLoader.Parse(json);
    }

    /// <summary>The rigs' transport settings: 2 s timeouts, 2 retries with short backoff.</summary>
    public const string DefaultTransport = """{ "timeoutSeconds": 2, "connectTimeoutSeconds": 2, "retries": 2, "retryBaseDelaySeconds": 0.005, "retryMaxDelaySeconds": 0.02 }""";

    public static DriverContext Context(HilConfig config) => new() { Config = config, Logger = Logger };

    /// <summary>
    /// The emulator served as a CimHil board on a loopback TCP port (raw socket, VXI-11 or HiSLIP, see <paramref name="link"/>)
    /// or on a pseudo-terminal, and the cimhil-board driver connected to it.
    /// </summary>
    public static async Task<Rig> BoardAsync(bool overPty = false, string extraSettings = "", EmulatorSettings? array = null, Action<BoardServer, RecordingTransportFactory>? beforeConnect = null, string? transportJson = null, BoardLink link = BoardLink.Socket)
    {
        var backing = new EmulatedChip(array ?? Array);
        var board = new BoardServer(backing, Logger);
        var wire = new RecordingTransportFactory();
        IAsyncDisposable server;
        string resource;
        if (overPty)
        {
            var pty = new BoardPtyServer(board, Logger);
            pty.Start();
            (server, resource) = (pty, pty.ResourceString);
        }
        else if (link == BoardLink.Vxi11)
        {
            var vxi11 = new Vxi11BoardServer(board, Logger, portmapperPort: 0);
            vxi11.Start();
            (server, resource) = (vxi11, vxi11.ResourceString);
            (wire.BuiltInLanClients, wire.Vxi11PortmapperPort) = (true, vxi11.PortmapperPort);
        }
        else if (link == BoardLink.HiSlip)
        {
            var hiSlip = new HiSlipBoardServer(board, Logger, port: 0);
            hiSlip.Start();
            (server, resource) = (hiSlip, hiSlip.ResourceString);
            wire.BuiltInLanClients = true;
        }
        else
        {
            var tcp = new BoardTcpServer(board, Logger);
            tcp.Start();
            (server, resource) = (tcp, tcp.ResourceString);
        }

        beforeConnect?.Invoke(board, wire);
        var driver = new CimHilBoardDriver();
        var config = Config("cimhil-board", $$"""{ "resource": "{{resource}}", "baudRate": 115200{{extraSettings}} }""", transportJson);
        var settings = driver.Parse(config.Chip.Settings);
        var chip = await driver.ConnectAsync(settings, Context(config), wire, CancellationToken.None);
        return new Rig(chip, backing, wire, async () =>
        {
            await server.DisposeAsync();
            board.Dispose();
        })
        { Resources = [resource], Board = board };
    }

    /// <summary>The emulated 2450 + 707B in front of the emulated array, each on its own loopback port, and the smu-matrix driver connected to both.</summary>
    /// <param name="smuSerialTerminator">Not null: the SMU is served on a pseudo-terminal (<c>ASRL/dev/pts/N::INSTR</c>) with this terminator.</param>
    public static async Task<Rig> SmuMatrixAsync(string extraSettings = "", EmulatorSettings? array = null, string? transportJson = null, byte? smuSerialTerminator = null)
    {
        var backing = new EmulatedChip(array ?? Array);
        var bench = new SmuMatrixBench(backing, Logger);
        var smuServer = smuSerialTerminator is { } t ? LineInstrumentServer.OnPseudoTerminal(bench.Smu, Logger, t) : new LineInstrumentServer(bench.Smu, Logger);
        var matrixServer = new LineInstrumentServer(bench.Matrix, Logger);
        var stop = Started(smuServer, matrixServer);
        var wire = new RecordingTransportFactory();
        var driver = new SmuMatrixDriver();
        var g = backing.Geometry;
        var config = Config("smu-matrix", $$"""{ "smu": "{{smuServer.ResourceString}}", "matrix": "{{matrixServer.ResourceString}}", "rows": {{g.Rows}}, "columns": {{g.Columns}}, "technology": "rram"{{extraSettings}} }""", transportJson);
        var chip = await ConnectOrStopAsync(() => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Context(config), wire, CancellationToken.None), stop);
        return new Rig(chip, backing, wire, stop) { Bench = bench, Resources = [smuServer.ResourceString, matrixServer.ResourceString] };
    }

    /// <summary>The emulated 2636B + 707B in front of the emulated array, each on its own loopback port, and the keithley-2600b driver connected to both.</summary>
    public static async Task<Rig> Keithley2600BAsync(string extraSettings = "", EmulatorSettings? array = null, string? transportJson = null, bool smuOverPty = false)
    {
        var backing = new EmulatedChip(array ?? Array);
        var bench = new Keithley2600BBench(backing, Logger);
        var smuServer = smuOverPty ? LineInstrumentServer.OnPseudoTerminal(bench.Smu, Logger) : new LineInstrumentServer(bench.Smu, Logger);
        var matrixServer = new LineInstrumentServer(bench.Matrix!, Logger);
        var stop = Started(smuServer, matrixServer);
        var wire = new RecordingTransportFactory();
        var driver = new Keithley2600BDriver();
        var g = backing.Geometry;
        var config = Config("keithley-2600b", $$"""{ "smu": "{{smuServer.ResourceString}}", "matrix": "{{matrixServer.ResourceString}}", "rows": {{g.Rows}}, "columns": {{g.Columns}}, "technology": "rram"{{extraSettings}} }""", transportJson);
        var chip = await ConnectOrStopAsync(() => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Context(config), wire, CancellationToken.None), stop);
        return new Rig(chip, backing, wire, stop) { K2600B = bench, Resources = [smuServer.ResourceString, matrixServer.ResourceString] };
    }

    /// <summary>The emulated 2636B alone on one emulated device (1×1), on a loopback port, and the keithley-2600b driver connected without a matrix.</summary>
    public static async Task<Rig> Keithley2600BDeviceAsync(string extraSettings = "")
    {
        var backing = new EmulatedChip(Array with { Rows = 1, Columns = 1 });
        var bench = new Keithley2600BBench(backing, Logger, withMatrix: false);
        var smuServer = new LineInstrumentServer(bench.Smu, Logger);
        var stop = Started(smuServer);
        var wire = new RecordingTransportFactory();
        var driver = new Keithley2600BDriver();
        var config = Config("keithley-2600b", $$"""{ "smu": "{{smuServer.ResourceString}}", "technology": "rram"{{extraSettings}} }""");
        var chip = await ConnectOrStopAsync(() => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Context(config), wire, CancellationToken.None), stop);
        return new Rig(chip, backing, wire, stop) { K2600B = bench, Resources = [smuServer.ResourceString] };
    }

    /// <summary>
    /// The emulated 4200A-SCS (KXCI, NUL-terminated) + 707B in front of the emulated array, each on its own loopback port,
    /// and the keithley-4200a driver connected to both, with PMU channel 1 unless <paramref name="extraSettings"/> says otherwise.
    /// </summary>
    public static async Task<Rig> Keithley4200AAsync(string extraSettings = ", \"pmuChannel\": 1", EmulatorSettings? array = null, string? transportJson = null, bool pmuInstalled = true)
    {
        var backing = new EmulatedChip(array ?? Array);
        var bench = new Keithley4200ABench(backing, Logger, pmuInstalled: pmuInstalled);
        var analyzerServer = new LineInstrumentServer(bench.Analyzer, Logger, terminator: 0);
        var matrixServer = new LineInstrumentServer(bench.Matrix, Logger);
        var stop = Started(analyzerServer, matrixServer);
        var wire = new RecordingTransportFactory();
        var driver = new Keithley4200ADriver();
        var g = backing.Geometry;
        var config = Config("keithley-4200a", $$"""{ "analyzer": "{{analyzerServer.ResourceString}}", "matrix": "{{matrixServer.ResourceString}}", "rows": {{g.Rows}}, "columns": {{g.Columns}}, "technology": "rram"{{extraSettings}} }""", transportJson);
        var chip = await ConnectOrStopAsync(() => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Context(config), wire, CancellationToken.None), stop);
        return new Rig(chip, backing, wire, stop) { K4200A = bench, Resources = [analyzerServer.ResourceString, matrixServer.ResourceString] };
    }

    /// <summary>
    /// The emulated B1500A (FLEX), its WGFMU (call lines) and the 707B, each on its own loopback port, and the b1500 driver
    /// connected to them through the real WGFMU P/Invoke layer and the gcc-built stand-in library.
    /// </summary>
    public static async Task<Rig> B1500Async(string extraSettings = "", EmulatorSettings? array = null, Func<IWgfmu, IWgfmu>? wrapWgfmu = null)
    {
        var backing = new EmulatedChip(array ?? Array);
        var bench = new B1500Bench(backing, Logger);
        var mainframeServer = new LineInstrumentServer(bench.Mainframe, Logger);
        var matrixServer = new LineInstrumentServer(bench.Matrix, Logger);
        var wgfmuServer = new LineInstrumentServer(bench.Wgfmu, Logger);
        var stop = Started(mainframeServer, matrixServer, wgfmuServer);

        var wire = new RecordingTransportFactory();
        var driver = new B1500Driver();
        var g = backing.Geometry;
        var config = Config("b1500", $$"""
            { "mainframe": "{{mainframeServer.ResourceString}}", "wgfmuAddress": "{{wgfmuServer.ResourceString}}", "wgfmuLibrary": "{{WgfmuStandIn.LibraryPath}}",
              "matrix": "{{matrixServer.ResourceString}}", "rows": {{g.Rows}}, "columns": {{g.Columns}}, "technology": "rram"{{extraSettings}} }
            """);
        var chip = await ConnectOrStopAsync(() => driver.ConnectAsync(driver.Parse(config.Chip.Settings), Context(config), wire, path => (wrapWgfmu ?? (w => w))(new WgfmuLibrary(path)), CancellationToken.None), stop);
        return new Rig(chip, backing, wire, stop)
        {
            B1500 = bench,
            WgfmuServer = wgfmuServer,
            Resources = [mainframeServer.ResourceString, matrixServer.ResourceString, wgfmuServer.ResourceString],
        };
    }

    /// <summary>Starts <paramref name="servers"/>; the returned stop disposes them in the same order.</summary>
    private static Func<ValueTask> Started(params LineInstrumentServer[] servers)
    {
        foreach (var server in servers)
        {
            server.Start();
        }

        return async () =>
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        };
    }

    /// <summary>Connects the driver, or stops the instrument servers when the connection fails, so a failing test leaves no port open.</summary>
    private static async Task<IChip> ConnectOrStopAsync(Func<Task<IChip>> connect, Func<ValueTask> stop)
    {
        try
        {
            return await connect();
        }
        catch
        {
            await stop();
            throw;
        }
    }
}
