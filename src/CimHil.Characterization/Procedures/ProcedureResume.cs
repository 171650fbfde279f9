using CimHil.Characterization.Store;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Procedures;

/// <summary>
/// What the store holds of one procedure when it starts: the completed units (skipped, so a resume never re-programs a
/// finished cell) and the next free record sequence of each unit an earlier session left unfinished.
/// </summary>
public sealed class ProcedureResume(string procedure, HashSet<UnitKey> done, Dictionary<UnitKey, int> nextSeq)
{
    /// <summary>Units completed before this session.</summary>
    public int DoneCount => done.Count;

    public bool IsDone(int row, int column, int step) => done.Contains(new UnitKey(procedure, row, column, step));

    /// <summary>The first sequence number free for the unit's records (0 for a unit never started).</summary>
    public int NextSeq(int row, int column, int step) => nextSeq.GetValueOrDefault(new UnitKey(procedure, row, column, step));

    /// <summary>The cells of one row still to program at <paramref name="step"/>, each to <paramref name="targetS"/>'s level.</summary>
    public List<VerifyTarget> Todo(IEnumerable<CellAddress> row, int step, Func<CellAddress, double> targetS) => Todo(row, _ => step, targetS);

    /// <summary>The cells of one row still to program, each at its own step (its level, where a cell has one unit).</summary>
    public List<VerifyTarget> Todo(IEnumerable<CellAddress> row, Func<CellAddress, int> step, Func<CellAddress, double> targetS) =>
        row.Where(c => !IsDone(c.Row, c.Column, step(c))).Select(c => new VerifyTarget(c.Column, step(c), targetS(c), NextSeq(c.Row, c.Column, step(c)))).ToList();
}
