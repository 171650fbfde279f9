using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using Serilog;

namespace CimHil.Characterization.Procedures;

/// <summary>
/// What a running procedure gets from the <see cref="Characterizer"/>: the chip, the store it writes batches to, the
/// plan-wide settings, a logger, and <see cref="Commit"/>, which writes a batch and reports progress.
/// </summary>
public sealed class ProcedureContext
{
    private readonly SessionProgress _progress;

    internal ProcedureContext(string name, IChip chip, MeasurementStore store, CharacterizationPlan plan, ILogger logger, SessionProgress progress) =>
        (Name, Chip, Store, Plan, Log, _progress) = (name, chip, store, plan, logger, progress);

    /// <summary>The procedure's stored name (its plan section): the procedure of every record key it writes.</summary>
    public string Name { get; }

    public IChip Chip { get; }

    public MeasurementStore Store { get; }

    public CharacterizationPlan Plan { get; }

    public ILogger Log { get; }

    /// <summary>The plan's read voltage.</summary>
    public double ReadVoltageV => Plan.ReadVoltageV;

    /// <summary>
    /// The cells this procedure uses: formed and not stuck (per the store), the plan seed's deterministic sample of them
    /// when <paramref name="sample"/> has a count, row-major.
    /// </summary>
    public List<CellAddress> Sample(SampleSpec sample) => CellSampling.Sample(Store, Chip.Geometry, Plan.Seed, Name, sample);

    /// <summary>What the store already holds of this procedure: units to skip and where unfinished units' records continue.</summary>
    public ProcedureResume Resume() => new(Name, Store.CompletedUnits(Name), Store.NextSeqOfUnfinishedUnits(Name));

    /// <summary>
    /// Program-and-verify of <paramref name="cells"/> of one row to their targets with <paramref name="verify"/> (default:
    /// the plan's settings), at the plan's read voltage; every pulse and read goes into <paramref name="batch"/>.
    /// </summary>
    public Task<IReadOnlyList<VerifyOutcome>> ProgramRowAsync(int row, IReadOnlyList<VerifyTarget> cells, UnitBatch batch, CancellationToken cancellationToken, ProgramVerifySpec? verify = null) =>
        ProgramVerifier.RunRowAsync(Chip, Name, row, cells, verify ?? Plan.Verify, ReadVoltageV, batch, cancellationToken);

    /// <summary>
    /// Commits <paramref name="batch"/> at the chip's time; progress counts the units done before this session
    /// (<paramref name="doneAtStart"/>) plus those committed since, out of <paramref name="total"/>.
    /// </summary>
    public void Commit(UnitBatch batch, int doneAtStart, int total) => _progress.Commit(batch, Name, doneAtStart, total, Chip.Clock.Now);
}
