using System.Globalization;
using CimHil.Characterization.Procedures;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Store;

/// <summary>What a resume asks of the store: the cells' last reads (the chip's fingerprint) and a restart on a new chip.</summary>
public sealed partial class MeasurementStore
{
    /// <summary>
    /// Every cell whose last record is a read with a conductance, with that read. "Last" follows the order the procedures
    /// ran in (their ordinal), then step and sequence: the emulator's operations take no virtual time, so timestamps alone
    /// cannot order them.
    /// </summary>
    public IReadOnlyList<StoredRead> LastReadsPerCell()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = """
            SELECT row, col, kind, voltage_v, conductance_s, timestamp_ticks FROM (
              SELECT m.row, m.col, m.kind, m.voltage_v, m.conductance_s, m.timestamp_ticks,
                     ROW_NUMBER() OVER (PARTITION BY m.row, m.col ORDER BY p.ordinal DESC, m.step DESC, m.seq DESC) AS k
              FROM measurements m JOIN procedures p ON p.procedure = m.procedure)
            WHERE k = 1 AND kind = 'read' AND conductance_s IS NOT NULL AND voltage_v > 0
            ORDER BY row, col
            """;
        var list = new List<StoredRead>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new StoredRead(new CellAddress(r.GetInt32(0), r.GetInt32(1)), r.GetDouble(3), r.GetDouble(4), new DateTimeOffset(r.GetInt64(5), TimeSpan.Zero)));
        }

        return list;
    }

    /// <summary>The median relative standard deviation of repeated reads of one cell (role <see cref="MeasurementRoles.Noise"/>), or null when none were taken.</summary>
    public double? ReadNoiseRelativeSigma()
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = """
            SELECT AVG(conductance_s), AVG(conductance_s * conductance_s), COUNT(*) FROM measurements
            WHERE role = $role AND conductance_s > 0 GROUP BY procedure, row, col, step HAVING COUNT(*) >= 3
            """;
        cmd.Parameters.AddWithValue("$role", MeasurementRoles.Noise);
        var sigmas = new List<double>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var mean = r.GetDouble(0);
            var n = r.GetInt64(2);
            var variance = Math.Max(0, r.GetDouble(1) - (mean * mean)) * n / (n - 1);
            sigmas.Add(Math.Sqrt(variance) / mean);
        }

        if (sigmas.Count == 0)
        {
            return null;
        }

        sigmas.Sort();
        return sigmas[sigmas.Count / 2];
    }

    /// <summary>
    /// The chip changed under a resumed run and the user chose to go on: the given procedures start again from their
    /// beginning. Their units and records move to <c>superseded_units</c> / <c>superseded_measurements</c> (never deleted),
    /// and the change is recorded in <c>chip_changes</c> with the new chip's identity and the evidence. One transaction.
    /// </summary>
    public void RestartProceduresOnNewChip(IReadOnlyCollection<string> procedures, ChipIdentity chip, string evidence, DateTimeOffset nowUtc)
    {
        ArgumentNullException.ThrowIfNull(procedures);
        ArgumentNullException.ThrowIfNull(chip);

        // The set-aside tables copy the measurements' columns as they are now: a schema-1 store gains its uncertain column
        // first, so a later set-aside (after the first write added it) still has the same columns.
        AddUncertainColumnIfMissing();
        using var tx = _db.BeginTransaction();
        Execute("""
            CREATE TABLE IF NOT EXISTS chip_changes(
              change INTEGER PRIMARY KEY, session INTEGER NOT NULL, utc TEXT NOT NULL,
              chip_vendor TEXT NOT NULL, chip_model TEXT NOT NULL, chip_serial TEXT NOT NULL, chip_firmware TEXT NOT NULL,
              evidence TEXT NOT NULL, restarted TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS superseded_units AS SELECT 0 AS chip_change, * FROM units WHERE 0;
            CREATE TABLE IF NOT EXISTS superseded_measurements AS SELECT 0 AS chip_change, * FROM measurements WHERE 0;
            """);
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO chip_changes(session,utc,chip_vendor,chip_model,chip_serial,chip_firmware,evidence,restarted) VALUES($s,$t,$v,$m,$n,$f,$e,$r)";
            cmd.Parameters.AddWithValue("$s", Session);
            cmd.Parameters.AddWithValue("$t", nowUtc.ToString("O", CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("$v", chip.Vendor);
            cmd.Parameters.AddWithValue("$m", chip.Model);
            cmd.Parameters.AddWithValue("$n", chip.Serial);
            cmd.Parameters.AddWithValue("$f", chip.Firmware);
            cmd.Parameters.AddWithValue("$e", evidence);
            cmd.Parameters.AddWithValue("$r", string.Join(",", procedures));
            cmd.ExecuteNonQuery();
        }

        foreach (var procedure in procedures)
        {
            using var cmd = _db.CreateCommand();
            cmd.CommandText = """
                INSERT INTO superseded_units SELECT (SELECT MAX(change) FROM chip_changes), * FROM units WHERE procedure = $p;
                INSERT INTO superseded_measurements SELECT (SELECT MAX(change) FROM chip_changes), * FROM measurements WHERE procedure = $p;
                DELETE FROM units WHERE procedure = $p;
                DELETE FROM measurements WHERE procedure = $p;
                DELETE FROM procedures WHERE procedure = $p;
                """;
            cmd.Parameters.AddWithValue("$p", procedure);
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    /// <summary>How many times a resume went on on a chip that was not the measured one (0 for most runs).</summary>
    public int ChipChanges() =>
        TableExists(_db, "chip_changes") ? Convert.ToInt32(Scalar(_db, "SELECT COUNT(*) FROM chip_changes"), CultureInfo.InvariantCulture) : 0;

    private void Execute(string sql)
    {
        using var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
