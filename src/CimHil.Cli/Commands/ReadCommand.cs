using System.CommandLine;
using CimHil.Core.Chip;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary><c>cimhil read</c>: one cell, a row, a column or a block, as a table of µS or as JSON.</summary>
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
        var command = new Command("read", "Read the conductance of a cell, a row, a column or a block (one bulk read, not one per cell)")
        {
            cell, row, column, block, voltage, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var chosen = new object?[] { parse.GetValue(cell), parse.GetValue(row), parse.GetValue(column), parse.GetValue(block) }.Count(v => v is not null);
            if (chosen != 1)
            {
                throw new CliUsageException("read needs exactly one of --cell, --row, --column, --block");
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
                return ExitCodes.Success;
            }

            AnsiConsole.Write(ToTable(result));
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Rows × columns of conductance in µS.</summary>
    public static Table ToTable(BlockReadResult result)
    {
        var table = new Table().Border(TableBorder.Simple).Title($"Conductance (µS) at {result.ReadVoltageV} V");
        table.AddColumn("row \\ col");
        for (var c = 0; c < result.Block.Columns; c++)
        {
            table.AddColumn(new TableColumn((result.Block.Column + c).ToString(System.Globalization.CultureInfo.InvariantCulture)).RightAligned());
        }

        for (var r = 0; r < result.Block.Rows; r++)
        {
            var cells = new List<string> { (result.Block.Row + r).ToString(System.Globalization.CultureInfo.InvariantCulture) };
            for (var c = 0; c < result.Block.Columns; c++)
            {
                cells.Add(CliParsing.Microsiemens(result.ConductanceS(result.Block.Row + r, result.Block.Column + c)));
            }

            table.AddRow(cells.ToArray());
        }

        return table;
    }
}
