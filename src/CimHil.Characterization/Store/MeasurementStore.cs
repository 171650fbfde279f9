using System.Globalization;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CimHil.Characterization.Store;

/// <summary>
/// One characterisation run in one SQLite file: the run's provenance and plan, the procedures, every
/// pulse and read with its chip timestamp, and the units of work already completed.
/// Writes go through <see cref="UnitBatch"/>: the measurements of a unit and the unit's completion are one
/// transaction, so after a crash a unit is either wholly present or absent, and resuming redoes exactly the
/// absent ones. The primary keys make a duplicate record impossible rather than merely unlikely. Every commit is also
/// acknowledged in a <see cref="CommitJournal"/> next to the file, so a store that silently lost commits is refused on open.
/// </summary>
public sealed partial class MeasurementStore : IDisposable
{
    private readonly SqliteConnection _db;
    private sqlite3_stmt? _rawInsert;
    private readonly SqliteCommand _insertUnit;
    private readonly SqliteCommand _bumpSequence;
    private readonly CommitJournal? _journal;
    private CommitMark _mark;
    private bool _disposed;

    private MeasurementStore(string path, SqliteConnection db, RunInfo run, int session, CommitMark mark, CommitJournal? journal)
    {
        Path = path;
        _db = db;
        Run = run;
        Session = session;
        _mark = mark;
        _journal = journal;
        _insertUnit = Prepare(
            "INSERT INTO units(procedure,row,col,step,outcome,target_s,value_s,pulses,session,completed_ticks) VALUES($p,$r,$c,$s,$o,$t,$val,$n,$sess,$ts)",
            "$p", "$r", "$c", "$s", "$o", "$t", "$val", "$n", "$sess", "$ts");
        _bumpSequence = Prepare("UPDATE commit_seq SET seq=seq+1 WHERE id=1");
    }

    public string Path { get; }

    public RunInfo Run { get; private set; }

    /// <summary>This process's session number: 1 for the first start, +1 for each resume.</summary>
    public int Session { get; }

    /// <summary>
    /// Registers a procedure with its parameters; on resume the parameters must be those its stored records were taken
    /// with. A procedure registered but with nothing stored yet takes the new parameters (a corrected plan).
    /// </summary>
    public void BeginProcedure(string procedure, int ordinal, string parametersJson, DateTimeOffset now)
    {
        if (RequireParametersKept(procedure, parametersJson) is { } existing)
        {
            if (string.Equals(existing, parametersJson, StringComparison.Ordinal))
            {
                return;
            }

            using var update = _db.CreateCommand();
            update.CommandText = "UPDATE procedures SET parameters_json=$j, started_utc=$t WHERE procedure=$p";
            update.Parameters.AddWithValue("$p", procedure);
            update.Parameters.AddWithValue("$j", parametersJson);
            update.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
            update.ExecuteNonQuery();
            return;
        }

        using var cmd = _db.CreateCommand();
        cmd.CommandText = "INSERT INTO procedures(procedure,ordinal,parameters_json,started_utc) VALUES($p,$o,$j,$t)";
        cmd.Parameters.AddWithValue("$p", procedure);
        cmd.Parameters.AddWithValue("$o", ordinal);
        cmd.Parameters.AddWithValue("$j", parametersJson);
        cmd.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Refuses <paramref name="parametersJson"/> for a procedure that has records stored under other parameters; returns
    /// the stored parameters (null when the procedure never started).
    /// </summary>
    public string? RequireParametersKept(string procedure, string parametersJson)
    {
        var existing = ProcedureParameters(procedure);
        if (existing is not null && !string.Equals(existing, parametersJson, StringComparison.Ordinal) && HasRecords(procedure))
        {
            throw new MeasurementStoreException(Path, $"procedure '{procedure}' was started with other parameters than the plan now gives; resume with the run's own plan");
        }

        return existing;
    }

    /// <summary>Whether a measurement or unit of the procedure is stored; from then on its parameters are fixed.</summary>
    public bool HasRecords(string procedure)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT EXISTS(SELECT 1 FROM measurements WHERE procedure=$p) OR EXISTS(SELECT 1 FROM units WHERE procedure=$p)";
        cmd.Parameters.AddWithValue("$p", procedure);
        return cmd.ExecuteScalar() is long l && l == 1;
    }

    /// <summary>
    /// Makes <paramref name="planJson"/> the run's plan (a resume with a corrected plan), so calibration and a later
    /// resume read the plan the measurements follow. The caller has checked that no procedure with records changed.
    /// </summary>
    public void ReplacePlan(string planJson)
    {
        using var cmd = _db.CreateCommand();
        var hash = Hash(planJson);
        cmd.CommandText = "UPDATE run SET plan_json=$plan, plan_hash=$hash WHERE id=1";
        cmd.Parameters.AddWithValue("$plan", planJson);
        cmd.Parameters.AddWithValue("$hash", hash);
        cmd.ExecuteNonQuery();
        Run = Run with { PlanJson = planJson, PlanHash = hash };
    }

    public void FinishProcedure(string procedure, DateTimeOffset now)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "UPDATE procedures SET finished_utc=$t WHERE procedure=$p AND finished_utc IS NULL";
        cmd.Parameters.AddWithValue("$p", procedure);
        cmd.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public bool IsProcedureFinished(string procedure)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT finished_utc IS NOT NULL FROM procedures WHERE procedure=$p";
        cmd.Parameters.AddWithValue("$p", procedure);
        return cmd.ExecuteScalar() is long l && l == 1;
    }

    /// <summary>The procedure's stored parameters, or null when it never started.</summary>
    public string? ProcedureParameters(string procedure)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT parameters_json FROM procedures WHERE procedure=$p";
        cmd.Parameters.AddWithValue("$p", procedure);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Marks the run finished (all procedures done).</summary>
    public void FinishRun(DateTimeOffset now)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "UPDATE run SET finished_utc=$t WHERE id=1; UPDATE sessions SET ended_utc=$t, outcome='finished' WHERE session=$s";
        cmd.Parameters.AddWithValue("$t", now.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$s", Session);
        cmd.ExecuteNonQuery();
        Run = Run with { FinishedUtc = now };
    }

    /// <summary>The units of a procedure that are complete (their measurements are all stored).</summary>
    public HashSet<UnitKey> CompletedUnits(string procedure)
    {
        var set = new HashSet<UnitKey>();
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT row,col,step FROM units WHERE procedure=$p";
        cmd.Parameters.AddWithValue("$p", procedure);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            set.Add(new UnitKey(procedure, r.GetInt32(0), r.GetInt32(1), r.GetInt32(2)));
        }

        return set;
    }

    /// <summary>A batch of units written in one transaction when <see cref="UnitBatch.Commit"/> is called.</summary>
    public UnitBatch BeginBatch() => new(this);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _rawInsert?.Dispose();
        _insertUnit.Dispose();
        _bumpSequence.Dispose();
        _journal?.Dispose();
        _db.Dispose();
    }
}
