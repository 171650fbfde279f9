using System.CommandLine;
using CimHil.Core.Chip;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil read</c>: one cell, a row, a column or a block, as a grid of µS, CSV or JSON.</summary>
public static class ReadCommand
{
    public const double DefaultReadVoltageV = 0.2;

    public static Command Create(CliServices services)
    {
        var cell = new Option<string?>("--cell") { Description = "Cell ROW,COLUMN" };
        var row = new Option<int?>("--row") { Description = "A whole row" }.Within(0, int.MaxValue);
        var column = new Option<int?>("--column") { Description = "A whole column" }.Within(0, int.MaxValue);
        var block = new Option<string?>("--block") { Description = "Block ROW,COLUMN,ROWS,COLUMNS" };
        var voltage = new Option<double>("--voltage") { Description = "Read voltage in volts", DefaultValueFactory = _ => DefaultReadVoltageV };
        var json = CliServices.JsonOption();
        var csv = new Option<bool>("--csv") { Description = "Write one CSV line per cell on stdout: row,column,readVoltageV,currentA,conductanceS" };
        var command = new Command("read", "Read the conductance of a cell, a row, a column or a block (one bulk read, not one per cell): a grid of µS, CSV or JSON")
        {
            cell, row, column, block, voltage, json, csv,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var chosen = new object?[] { parse.GetValue(cell), parse.GetValue(row), parse.GetValue(column), parse.GetValue(block) }.Count(v => v is not null);
            if (chosen != 1)
            {
                throw new CliUsageException("read needs exactly one of --cell, --row, --column, --block");
            }

            if (parse.GetValue(json) && parse.GetValue(csv))
            {
                throw new CliUsageException("read takes --json or --csv, not both");
            }

            await using var chip = await services.ConnectAsync(parse, ct);
            var v = parse.GetValue(voltage);
            BlockReadResult result;
            if (parse.GetValue(cell) is { } c)
            {
                var address = CliParsing.Cell(c, "--cell");
                var r = await chip.ReadCellAsync(address, v, ct);
                result = new BlockReadResult(new CellBlock(address.Row, address.Column, 1, 1), v, [r.CurrentA], r.Timestamp);
            }
            else if (parse.GetValue(row) is { } rr)
            {
                result = await chip.ReadRowAsync(rr, v, ct);
            }
            else if (parse.GetValue(column) is { } cc)
            {
                result = await chip.ReadColumnAsync(cc, v, ct);
            }
            else
            {
                result = await chip.ReadBlockAsync(CliParsing.Block(parse.GetValue(block)!, "--block"), v, ct);
            }

            UnformedCells.Warn(chip, result.Block, "read", services.Logger(parse));
            if (parse.GetValue(json))
            {
                services.WriteJson(new
                {
                    block = new { row = result.Block.Row, column = result.Block.Column, rows = result.Block.Rows, columns = result.Block.Columns },
                    readVoltageV = result.ReadVoltageV,
                    timestamp = result.Timestamp,
                    currentsA = result.CurrentsA,
                    conductancesS = result.CurrentsA.Select(i => i / result.ReadVoltageV).ToArray(),
                });
            }
            else if (parse.GetValue(csv))
            {
                ConductanceGrid.WriteCsv(services.Output, result);
            }
            else
            {
                ConductanceGrid.Write(services.Output, result, ConductanceGrid.WidthOf(services.Output));
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
