using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Emulator;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;
using static CimHil.Bench.RoundTrips.RoundTripTiming;

namespace CimHil.Bench;

/// <summary>
/// Target: a whole 128×128 array read over TCP takes well under 1 s by using one definite-length block read (the
/// per-query session overhead against a bare socket is the <c>transports</c> bench). Usage: instruments [rows] [columns].
/// </summary>
internal static class InstrumentsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 128;
        var columns = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : rows;
        var ct = CancellationToken.None;
        var logger = new LoggerConfiguration().MinimumLevel.Warning().CreateLogger();

        await using var chip = new EmulatedChip(new EmulatorSettings { Technology = DeviceTechnology.Pcm, Rows = rows, Columns = columns });
        using var board = new BoardServer(chip, logger);
        await using var tcp = new BoardTcpServer(board, logger);
        tcp.Start();
        Console.WriteLine($"board on {tcp.ResourceString}, {rows}x{columns} PCM emulator");

        await using var session = await ScpiSession.OpenAsync(tcp.ResourceString, TransportOptions.Default, logger, ct);
        await session.ExecuteAsync("FORM REAL,64", ct);
        var bytes = 0;
        var block64 = await TimeAsync(async () => bytes = (await session.QueryBlockAsync($"BLK:READ? 0,0,{rows},{columns},0.2", ct)).Length, 20, warmUp: 20);
        Report($"array block read REAL,64 ({bytes} B)", block64);

        await session.ExecuteAsync("FORM REAL,32", ct);
        var block32 = await TimeAsync(async () => bytes = (await session.QueryBlockAsync($"BLK:READ? 0,0,{rows},{columns},0.2", ct)).Length, 20, warmUp: 20);
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
            3,
            warmUp: 3);
        Report("array read row by row", byRow);

        var oneRowCells = await TimeAsync(
            async () =>
            {
                for (var c = 0; c < columns; c++)
                {
                    await session.QueryDoubleAsync($"CELL:READ? 0,{c},0.2", ct);
                }
            },
            3,
            warmUp: 3);
        Console.WriteLine($"  array read cell by cell (extrapolated from one row): {Median(oneRowCells) * rows:F3} s");

        var target = Median(block64);
        var ok = target < 1.0;
        Console.WriteLine(ok
            ? $"PASS: {rows}x{columns} array read in {target * 1e3:F1} ms (< 1 s)"
            : $"FAIL: {rows}x{columns} array read took {target:F3} s (target < 1 s)");
        return ok ? 0 : 1;
    }
}
