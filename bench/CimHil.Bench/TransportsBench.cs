using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using CimHil.Core.Chip;
using CimHil.Emulator;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Bench;

/// <summary>
/// Per-query round trip (<c>*OPC?</c>) through a <see cref="ScpiSession"/> over each transport — raw socket, VXI-11,
/// HiSLIP and a serial pseudo-terminal — beside a bare loopback socket round trip to the same board, in one run.
/// Target (issue 18): the session adds at most 20% to the bare round trip on the socket transport.
/// Usage: transports [iterations].
/// </summary>
internal static class TransportsBench
{
    private const double TargetOverhead = 0.20;

    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3000;
        var ct = CancellationToken.None;
        var logger = new LoggerConfiguration().MinimumLevel.Warning().CreateLogger();

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

        var bare = await BareSocketAsync(tcp.Port, iterations);
        Report("bare loopback socket", bare, null);

        var options = new TransportOptions { Visa = VisaPreference.Never, Vxi11PortmapperPort = vxi11.PortmapperPort };
        var socket = await SessionAsync(tcp.ResourceString, options, logger, iterations, ct);
        Report("ScpiSession over socket", socket, bare);
        Report("ScpiSession over VXI-11", await SessionAsync(vxi11.ResourceString, options, logger, iterations, ct), bare);
        Report("ScpiSession over HiSLIP", await SessionAsync(hiSlip.ResourceString, options, logger, iterations, ct), bare);
        if (pty is not null)
        {
            Report("ScpiSession over serial pty", await SessionAsync(pty.ResourceString, options, logger, Math.Min(iterations, 1000), ct), bare);
        }

        var overhead = Median(socket) / Median(bare) - 1;
        var ok = overhead <= TargetOverhead;
        Console.WriteLine(ok
            ? $"PASS: the session adds {overhead:P0} to the bare socket round trip (target ≤ {TargetOverhead:P0})"
            : $"FAIL: the session adds {overhead:P0} to the bare socket round trip (target ≤ {TargetOverhead:P0})");
        return ok ? 0 : 1;
    }

    /// <summary>Write "*OPC?\n", read "1\n" on a plain socket: the floor any client pays on this machine.</summary>
    private static async Task<double[]> BareSocketAsync(int port, int iterations)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port);
        var query = "*OPC?\n"u8.ToArray();
        var reply = new byte[2];
        return await TimeAsync(
            async () =>
            {
                await socket.SendAsync(query, SocketFlags.None);
                var got = 0;
                while (got < 2)
                {
                    got += await socket.ReceiveAsync(reply.AsMemory(got), SocketFlags.None);
                }
            },
            iterations);
    }

    private static async Task<double[]> SessionAsync(string resource, TransportOptions options, ILogger logger, int iterations, CancellationToken ct)
    {
        await using var session = await ScpiSession.OpenAsync(resource, options, logger, ct);
        return await TimeAsync(() => session.QueryAsync("*OPC?", ct), iterations);
    }

    private static async Task<double[]> TimeAsync(Func<Task> action, int iterations)
    {
        // Warm-up: JIT, tiered compilation and socket buffers, not measured.
        for (var i = 0; i < Math.Min(500, iterations); i++)
        {
            await action();
        }

        var seconds = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        Array.Sort(seconds);
        return seconds;
    }

    private static double Median(double[] sorted) => sorted[sorted.Length / 2];

    private static void Report(string what, double[] sorted, double[]? baseline)
    {
        var p99 = sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))];
        var relative = baseline is null ? string.Empty : $"   {Median(sorted) / Median(baseline) - 1,6:P0} over bare";
        Console.WriteLine($"  {what,-30} median {Median(sorted) * 1e6,9:F1} µs   p99 {p99 * 1e6,9:F1} µs{relative}");
    }
}
