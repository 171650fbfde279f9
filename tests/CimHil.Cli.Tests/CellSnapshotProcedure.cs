using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Cli.Tests;

/// <summary>What <see cref="CellSnapshotProcedure"/>'s plan section asks: read the first <c>rows</c> rows at <c>voltageV</c>.</summary>
public sealed record CellSnapshotSpec(int Rows, double VoltageV);

/// <summary>
/// A lab's own procedure, defined outside CimHil as a plug-in would be: one read of each cell of the first rows, stored
/// with its own role. <see cref="ProcedurePluginCommandTests"/> loads this assembly through hil-config.json.
/// </summary>
[CharacterizationProcedure(Section, Order = 8)]
public sealed class CellSnapshotProcedure : CharacterizationProcedure<CellSnapshotSpec>
{
    public const string Section = "cellSnapshot";
    public const string Role = "snapshot";

    public override CellSnapshotSpec Parse(JsonSection section)
    {
        section.AllowOnly("rows", "voltageV");
        return new CellSnapshotSpec(section.Int("rows", 1, null), section.Positive("voltageV"));
    }

    public override void Review(CellSnapshotSpec spec, PlanReview review)
    {
        if (spec.Rows > review.Chip.Geometry.Rows)
        {
            review.Violation($"{Section}.rows", $"{spec.Rows} rows but the chip has {review.Chip.Geometry.Rows}");
        }

        review.Read($"{Section}.voltageV", spec.VoltageV);
        var read = new PlanStimulus("read", $"{Section}.voltageV", spec.VoltageV, spec.VoltageV, null, null, null);
        review.Preview((long)spec.Rows * review.Chip.Geometry.Columns, "cell", 0, [read]);
    }

    public override async Task RunAsync(CellSnapshotSpec spec, ProcedureContext context, CancellationToken cancellationToken)
    {
        var resume = context.Resume();
        var columns = context.Chip.Geometry.Columns;
        using var batch = context.Store.BeginBatch();
        for (var row = 0; row < spec.Rows; row++)
        {
            var read = await context.Chip.ReadRowAsync(row, spec.VoltageV, cancellationToken);
            for (var col = 0; col < columns; col++)
            {
                if (resume.IsDone(row, col, 0))
                {
                    continue;
                }

                batch.Add(Measurement.FromRead(new RecordKey(context.Name, row, col, 0, resume.NextSeq(row, col, 0)), Role, spec.VoltageV, read.CurrentA(row, col), read.Timestamp));
                batch.Complete(new UnitResult { Key = new UnitKey(context.Name, row, col, 0), Outcome = ProcedureNames.Read, ValueS = read.ConductanceS(row, col) });
            }

            context.Commit(batch, resume.DoneCount, spec.Rows * columns);
        }
    }
}
