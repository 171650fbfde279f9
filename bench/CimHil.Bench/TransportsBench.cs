using System.Globalization;
using CimHil.Bench.RoundTrips;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Emulator;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Resilience;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;
using static CimHil.Bench.RoundTrips.RoundTripTiming;

namespace CimHil.Bench;

/// <summary>
/// Per-query round trip (<c>*OPC?</c>) through a <see cref="ScpiSession"/> over each transport — raw socket, VXI-11,
/// HiSLIP and a serial pseudo-terminal — beside a bare loopback socket round trip to the same board, in one run.
/// Target (issue 18): the session adds at most 20% to the bare round trip on the socket transport, judged on the
/// median of bare and session queries timed in alternating blocks. Usage: transports [iterations].
/// </summary>
internal static class TransportsBench
{
    private const double TargetOverhead = 0.20;

    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
        var ct = CancellationToken.None;
        var logger = new LoggerConfiguration().MinimumLevel.Warning().CreateLogger();
        Console.WriteLine($"load average before: {LoadAverage()}");

        await SessionCodeCostAsync(logger, iterations * 10, ct);

        await using var chip = new EmulatedChip(new EmulatorSettings { Technology = DeviceTechnology.Rram, Rows = 8, Columns = 8 });
        using var board = new BoardServer(chip, logger);
        await using var tcp = new BoardTcpServer(board, logger);
        tcp.Start();
        await using var vxi11 = new Vxi11BoardServer(board, logger, portmapperPort: 0);
        vxi11.Start();
        await using var hiSlip = new HiSlipBoardServer(board, logger, port: 0);
        hiSlip.Start();
        await using var pty = OperatingSystem.IsWindows() ? null : new BoardPtyServer(board, logger);
        pty?.Start();
        Console.WriteLine($"board on socket, VXI-11, HiSLIP{(pty is null ? string.Empty : " and a pty")}; {iterations} *OPC? round trips each (median, p99)");

        var options = new TransportOptions { Visa = VisaPreference.Never, Vxi11PortmapperPort = vxi11.PortmapperPort };
        using var bareClient = await BareSocketClient.ConnectAsync(tcp.Port);
        double overhead;
        await using (var socketSession = await ScpiSession.OpenAsync(tcp.ResourceString, options, logger, ct))
        {
            var (bare, socket) = await InterleavedComparison.RunAsync(bareClient.RoundTripAsync, () => socketSession.QueryAsync("*OPC?", ct), iterations);
            Report("bare loopback socket", bare.SortedSeconds);
            Report("ScpiSession over socket", socket.SortedSeconds, bare.SortedSeconds);
            Console.WriteLine(
                $"  (alternating blocks) process CPU per query: bare {bare.CpuSecondsPerCall * 1e6:F1} µs, session {socket.CpuSecondsPerCall * 1e6:F1} µs; " +
                $"allocated per query: bare {bare.BytesPerCall:F0} B, session {socket.BytesPerCall:F0} B (both include the in-process server)");
            overhead = Median(socket.SortedSeconds) / Median(bare.SortedSeconds) - 1;

            // The same write and read on the session's transport without the session: splits the session's overhead
            // into the transport's share (deadline, cancellation, buffering) and the session's own (lock, resilience, framing).
            var transport = socketSession.Transport;
            var query = "*OPC?\n"u8.ToArray();
            async Task DirectQueryAsync()
            {
                await transport.WriteAsync(query, ct);
                await transport.ReadUntilAsync((byte)'\n', 4096, ct);
            }

            var (bareAgain, direct) = await InterleavedComparison.RunAsync(
                bareClient.RoundTripAsync,
                DirectQueryAsync,
                iterations);
            Report("bare loopback socket (again)", bareAgain.SortedSeconds);
            Report("TcpSocketTransport alone", direct.SortedSeconds, bareAgain.SortedSeconds);
            Console.WriteLine(
                $"  (alternating blocks) process CPU per query: bare {bareAgain.CpuSecondsPerCall * 1e6:F1} µs, transport {direct.CpuSecondsPerCall * 1e6:F1} µs; " +
                $"allocated per query: bare {bareAgain.BytesPerCall:F0} B, transport {direct.BytesPerCall:F0} B");

            // The same again with no per-call bound (Timeout infinite): no watchdog, and the socket gets a token that
            // cannot cancel, so it registers nothing. The rest over the bare client is buffering and the async frames.
            var bounded = transport.Timeout;
            transport.Timeout = Timeout.InfiniteTimeSpan;
            var (bareThird, unbounded) = await InterleavedComparison.RunAsync(
                bareClient.RoundTripAsync,
                DirectQueryAsync,
                iterations);
            transport.Timeout = bounded;
            Report($"transport, no per-call bound (bare {Median(bareThird.SortedSeconds) * 1e6:F1} µs)", unbounded.SortedSeconds, bareThird.SortedSeconds);
        }

        await ResilienceShareAsync(tcp.ResourceString, options, logger, bareClient, iterations, ct);
        Report("ScpiSession over VXI-11", await SessionAsync(vxi11.ResourceString, options, logger, iterations, ct));
        Report("ScpiSession over HiSLIP", await SessionAsync(hiSlip.ResourceString, options, logger, iterations, ct));
        if (pty is not null)
        {
            Report("ScpiSession over serial pty", await SessionAsync(pty.ResourceString, options, logger, Math.Min(iterations, 1000), ct));
        }

        Console.WriteLine($"load average after: {LoadAverage()}");
        var ok = overhead <= TargetOverhead;
        Console.WriteLine($"{(ok ? "PASS" : "FAIL")}: the session adds {overhead:P0} to the bare socket round trip (target ≤ {TargetOverhead:P0})");
        return ok ? 0 : 1;
    }

    /// <summary>
    /// The session's own code per query, without a wire: <c>QueryAsync</c> over a transport that answers at once,
    /// against the same write and read called on that transport directly. Reported as time and bytes per query.
    /// </summary>
    private static async Task SessionCodeCostAsync(ILogger logger, int iterations, CancellationToken ct)
    {
        var reply = "1\n"u8.ToArray();
        var direct = new CannedReplyTransport(reply);
        var query = "*OPC?\n"u8.ToArray();
        await using var session = new ScpiSession(new CannedReplyTransport(reply), TransportConfig.Default, logger);
        var (transport, scpi) = await InterleavedComparison.RunAsync(
            async () =>
            {
                await direct.WriteAsync(query, ct);
                await direct.ReadUntilAsync((byte)'\n', 4096, ct);
            },
            () => session.QueryAsync("*OPC?", ct),
            iterations);
        Console.WriteLine(
            $"session code per query (no wire): {(Median(scpi.SortedSeconds) - Median(transport.SortedSeconds)) * 1e9:F0} ns median, " +
            $"{scpi.CpuSecondsPerCall * 1e9 - transport.CpuSecondsPerCall * 1e9:F0} ns CPU, {scpi.BytesPerCall - transport.BytesPerCall:F0} B allocated");
    }

    /// <summary>
    /// The session over the socket without its exchange deadline (a timestamp per query and a lazy timer), against the bare
    /// round trip in alternating blocks: the deadline's share of the session's on-wire overhead. Retry and breaker cost
    /// no await on the success path (a lock and two counters), so they have no variant of their own.
    /// </summary>
    private static async Task ResilienceShareAsync(string resource, TransportOptions options, ILogger logger, BareSocketClient bareClient, int iterations, CancellationToken ct)
    {
        var timeout = TimeSpan.FromSeconds(options.Config.TimeoutSeconds);
        var shipped = InstrumentResilience.Build(options.Config, resource, logger);
        var noDeadline = new InstrumentResilience(shipped.Retries, shipped.RetryBaseDelay, shipped.RetryMaxDelay, shipped.Breaker, Timeout.InfiniteTimeSpan, TimeProvider.System);
        var transport = await TransportFactory.Instance.OpenAsync(resource, options, logger, ct);
        transport.Timeout = timeout;
        await using var session = new ScpiSession(transport, noDeadline, logger);
        var (bare, variant) = await InterleavedComparison.RunAsync(bareClient.RoundTripAsync, () => session.QueryAsync("*OPC?", ct), iterations);
        Report($"session, no exchange deadline (bare {Median(bare.SortedSeconds) * 1e6:F1} µs)", variant.SortedSeconds, bare.SortedSeconds);
        Console.WriteLine($"    CPU per query: bare {bare.CpuSecondsPerCall * 1e6:F1} µs, {variant.CpuSecondsPerCall * 1e6:F1} µs; allocated: bare {bare.BytesPerCall:F0} B, {variant.BytesPerCall:F0} B");
    }

    private static async Task<double[]> SessionAsync(string resource, TransportOptions options, ILogger logger, int iterations, CancellationToken ct)
    {
        await using var session = await ScpiSession.OpenAsync(resource, options, logger, ct);
        return await TimeAsync(() => session.QueryAsync("*OPC?", ct), iterations);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a";
}
