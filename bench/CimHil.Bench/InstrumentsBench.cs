using System.Diagnostics;
using System.Net.Sockets;
using CimHil.Core.Chip;
using CimHil.Emulator;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Bench;

/// <summary>
/// Targets: the SCPI session adds little to a bare socket round trip on loopback, and a whole 128×128 array read over TCP
/// takes well under 1 s by using one definite-length block read. Usage: instruments [iterations] [rows] [columns].
/// </summary>
internal static class InstrumentsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var iterations = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
        var rows = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 128;
        var columns = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : rows;
        var ct = CancellationToken.None;
        var logger = new LoggerConfiguration().MinimumLevel.Warning().CreateLogger();

        await using var chip = new EmulatedChip(new EmulatorSettings { Technology = DeviceTechnology.Pcm, Rows = rows, Columns = columns });
        using var board = new BoardServer(chip, logger);
        await using var tcp = new BoardTcpServer(board, logger);
        tcp.Start();
        Console.WriteLine($"board on {tcp.ResourceString}, {rows}x{columns} PCM emulator, {iterations} round trips each");

        // 1. Bare socket: write "*OPC?\n", read "1\n" — the floor any client pays on this machine.
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
        {
            await socket.ConnectAsync("127.0.0.1", tcp.Port);
            var query = "*OPC?\n"u8.ToArray();
            var reply = new byte[2];
            async Task RoundTrip()
            {
                await socket.SendAsync(query, SocketFlags.None);
                var got = 0;
                while (got < 2)
                {
                    got += await socket.ReceiveAsync(reply.AsMemory(got), SocketFlags.None);
                }
            }

            var bare = await TimeAsync(RoundTrip, iterations);
            Report("bare socket *OPC?", bare);

            await using var session = await ScpiSession.OpenAsync(tcp.ResourceString, TransportOptions.Default, logger, ct);
            var scpi = await TimeAsync(() => session.QueryAsync("*OPC?", ct), iterations);
            Report("ScpiSession *OPC?", scpi);
            Console.WriteLine($"  session overhead: {(Median(scpi) - Median(bare)) * 1e6:F1} µs per query (median)");

            // 2. Whole-array reads.
            await session.ExecuteAsync("FORM REAL,64", ct);
            var bytes = 0;
            var block64 = await TimeAsync(async () => bytes = (await session.QueryBlockAsync($"BLK:READ? 0,0,{rows},{columns},0.2", ct)).Length, 20);
            Report($"array block read REAL,64 ({bytes} B)", block64);

            await session.ExecuteAsync("FORM REAL,32", ct);
            var block32 = await TimeAsync(async () => bytes = (await session.QueryBlockAsync($"BLK:READ? 0,0,{rows},{columns},0.2", ct)).Length, 20);
            Report($"array block read REAL,32 ({bytes} B)", block32);

            await session.ExecuteAsync("FORM REAL,64", ct);
            var byRow = await TimeAsync(
                async () =>
                {
                    for (var r = 0; r < rows; r++)
                    {
                        await session.QueryBlockAsync($"ROW:READ? {r},0.2", ct);
                    }
                },
                3);
            Report("array read row by row", byRow);

            var oneRowCells = await TimeAsync(
                async () =>
                {
                    for (var c = 0; c < columns; c++)
                    {
                        await session.QueryDoubleAsync($"CELL:READ? 0,{c},0.2", ct);
                    }
                },
                3);
            Console.WriteLine($"  array read cell by cell (extrapolated from one row): {Median(oneRowCells) * rows:F3} s");

            var target = Median(block64);
            var ok = target < 1.0;
            Console.WriteLine(ok
                ? $"PASS: {rows}x{columns} array read in {target * 1e3:F1} ms (< 1 s)"
                : $"FAIL: {rows}x{columns} array read took {target:F3} s (target < 1 s)");
            return ok ? 0 : 1;
        }
    }

    private static async Task<double[]> TimeAsync(Func<Task> action, int iterations)
    {
        // Warm-up: JIT and socket buffers, not measured.
        for (var i = 0; i < Math.Min(50, iterations); i++)
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

    private static void Report(string what, double[] sorted)
    {
        var p99 = sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))];
        Console.WriteLine($"  {what,-40} median {Median(sorted) * 1e6,10:F1} µs   p99 {p99 * 1e6,10:F1} µs");
    }
}
