using CimHil.Core.Chip;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CimHil.Server.Endpoints;

/// <summary>The chip: identity and limits, reads of a cell, a row or a block, and one programming pulse through the safety limits.</summary>
public static class ChipEndpoints
{
    /// <summary>The read voltage when the request gives none (as <c>cimhil read</c>).</summary>
    public const double DefaultReadVoltageV = 0.2;

    /// <summary>The nominal SET/RESET width when the request gives none (as <c>cimhil program</c>), brought within the chip's width limits.</summary>
    public const double DefaultProgramWidthSeconds = 100e-9;

    public static void Map(IEndpointRouteBuilder app, BenchServer server)
    {
        var chip = app.MapGroup("/api/chip");
        chip.MapGet("/", (CancellationToken ct) => server.Operator.RunShortAsync("chip identity", (c, _) => Task.FromResult(new
        {
            identity = c.Identity,
            rows = c.Geometry.Rows,
            columns = c.Geometry.Columns,
            capabilities = c.Capabilities.ToString(),
            limits = c.Limits,
            driver = server.Options.Config.Chip.Driver,
        }), ct));

        chip.MapGet("/cells/{row:int}/{column:int}", (int row, int column, double? readVoltageV, CancellationToken ct) =>
            server.Operator.RunShortAsync($"read of cell ({row},{column})", async (c, t) =>
            {
                var r = await c.ReadCellAsync(new CellAddress(row, column), readVoltageV ?? DefaultReadVoltageV, t);
                return new { row, column, readVoltageV = r.ReadVoltageV, currentA = r.CurrentA, conductanceS = r.ConductanceS, timestamp = r.Timestamp };
            }, ct));

        chip.MapGet("/rows/{row:int}", (int row, double? readVoltageV, CancellationToken ct) =>
            server.Operator.RunShortAsync($"read of row {row}", async (c, t) =>
            {
                if (row < 0 || row >= c.Geometry.Rows)
                {
                    throw new CellOutOfRangeException($"row {row}", c.Geometry);
                }

                return Block(await c.ReadRowAsync(row, readVoltageV ?? DefaultReadVoltageV, t));
            }, ct));

        chip.MapGet("/block", (int? row, int? column, int? rows, int? columns, double? readVoltageV, CancellationToken ct) =>
            server.Operator.RunShortAsync("block read", async (c, t) =>
            {
                var block = new CellBlock(row ?? 0, column ?? 0, rows ?? c.Geometry.Rows, columns ?? c.Geometry.Columns);
                return Block(await c.ReadBlockAsync(block, readVoltageV ?? DefaultReadVoltageV, t));
            }, ct));

        chip.MapPost("/program", (ProgramRequest request, CancellationToken ct) => ProgramAsync(server, request, ct));
    }

    private static object Block(BlockReadResult r) => new
    {
        row = r.Block.Row,
        column = r.Block.Column,
        rows = r.Block.Rows,
        columns = r.Block.Columns,
        readVoltageV = r.ReadVoltageV,
        conductancesS = r.CurrentsA.Select(i => i / r.ReadVoltageV).ToArray(),
        timestamp = r.Timestamp,
    };

    private static Task<object> ProgramAsync(BenchServer server, ProgramRequest request, CancellationToken ct)
    {
        var row = request.Row ?? throw new ApiInputException("row", "required");
        var column = request.Column ?? throw new ApiInputException("column", "required");
        var polarity = request.Polarity?.ToLowerInvariant() switch
        {
            "set" => PulsePolarity.Set,
            "reset" => PulsePolarity.Reset,
            null => throw new ApiInputException("polarity", "required: \"set\" or \"reset\""),
            _ => throw new ApiInputException("polarity", $"\"{request.Polarity}\" is neither \"set\" nor \"reset\""),
        };
        var amplitude = request.AmplitudeV ?? throw new ApiInputException("amplitudeV", "required (volts, positive)");
        var limits = server.Options.Config.Chip.Safety;
        var pulse = new ProgramPulse
        {
            Polarity = polarity,
            AmplitudeV = amplitude,
            WidthSeconds = request.WidthSeconds ?? Math.Clamp(DefaultProgramWidthSeconds, limits.MinPulseWidthSeconds, limits.MaxPulseWidthSeconds),
            GateVoltageV = request.GateVoltageV,
            ComplianceA = request.ComplianceA,
        };
        try
        {
            // The CLI's check, before the chip is even connected: a refused pulse costs not a read.
            pulse = limits.Check(pulse);
            var readV = request.ReadVoltageV ?? DefaultReadVoltageV;
            limits.CheckRead("program", readV);
            var cell = new CellAddress(row, column);
            return server.Operator.RunShortAsync($"program of cell ({row},{column})", async (c, t) =>
            {
                var before = await c.ReadCellAsync(cell, readV, t);
                var result = await c.ApplyPulseAsync(cell, pulse, t);
                var after = await c.ReadCellAsync(cell, readV, t);
                return (object)new { row, column, pulse = result.Pulse, timestamp = result.Timestamp, beforeS = before.ConductanceS, afterS = after.ConductanceS };
            }, ct);
        }
        catch (Core.Safety.SafetyLimitException ex)
        {
            server.Hub.Publish(BenchEventTypes.SafetyRefusal, SafetyRefusal.Of(ex), null);
            throw;
        }
    }
}
