using CimHil.Characterization.Store;
using CimHil.Core.Chip;

namespace CimHil.Characterization.Resume;

/// <summary>
/// The state fingerprint of a resume: a sample of finished cells re-read and compared with the last value stored for each.
/// The same chip agrees within its read noise (plus what drift can do in the time that passed); a restarted emulator or
/// another die does not.
/// </summary>
public sealed record ChipFingerprint(IReadOnlyList<FingerprintCell> Cells, double ToleranceLn)
{
    /// <summary>The share of re-read cells that must agree: the row in progress at the crash may have been pulsed unrecorded.</summary>
    public const double RequiredAgreement = 0.9;

    // Drift bound: conductance decays as (t/t0)^−ν with ν up to ~0.1 for PCM (Ielmini et al., IEEE TED 54(2), 2007);
    // from t0 = 1 s that moves ln G by at most ν·ln(1 + Δt/1 s). RRAM drifts less, so this bound covers both.
    private const double DriftExponentBound = 0.1;

    // Conductances this far below a level are all "off": ln ratios between nS-scale leakages say nothing.
    private const double FloorS = 1e-7;

    public int Agreeing => Cells.Count(c => c.Agrees);

    /// <summary>True when there was nothing to compare or enough cells agree.</summary>
    public bool Matches => Cells.Count == 0 || Agreeing >= Math.Ceiling(RequiredAgreement * Cells.Count);

    /// <summary>The evidence, for the log and the refusal: counts and the worst disagreeing cells.</summary>
    public string Evidence
    {
        get
        {
            var bad = Cells.Where(c => !c.Agrees).OrderByDescending(c => Math.Abs(Math.Log((c.ReadS + FloorS) / (c.StoredS + FloorS)))).Take(5).ToList();
            var head = FormattableString.Invariant($"{Cells.Count - Agreeing} of {Cells.Count} re-read cells differ from their stored values by more than a factor {Math.Exp(ToleranceLn):0.###}");
            return bad.Count == 0 ? head : head + ": " + string.Join("; ", bad);
        }
    }

    /// <summary>Re-reads up to <paramref name="maxCells"/> cells whose last stored record is a read, spread over the array.</summary>
    public static async Task<ChipFingerprint> TakeAsync(IChip chip, MeasurementStore store, int maxCells, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(store);
        var candidates = store.LastReadsPerCell();
        var sigma = store.ReadNoiseRelativeSigma() ?? 0.03;
        var stride = Math.Max(1, candidates.Count / Math.Max(1, maxCells));
        var cells = new List<FingerprintCell>();
        for (var i = 0; i < candidates.Count && cells.Count < maxCells; i += stride)
        {
            var stored = candidates[i];
            var read = await chip.ReadCellAsync(stored.Cell, stored.ReadVoltageV, cancellationToken).ConfigureAwait(false);
            var elapsed = Math.Max(0, (read.Timestamp - stored.Timestamp).TotalSeconds);
            var tolerance = Tolerance(sigma, elapsed);
            var nowS = read.ConductanceS;
            var agrees = double.IsFinite(nowS) && Math.Abs(Math.Log((Math.Max(nowS, 0) + FloorS) / (stored.ConductanceS + FloorS))) <= tolerance;
            cells.Add(new FingerprintCell(stored.Cell, stored.ConductanceS, nowS, agrees));
        }

        return new ChipFingerprint(cells, Tolerance(sigma, 0));
    }

    /// <summary>Five read-noise σ (at least 5 %) plus the drift bound for the time that passed, on the log scale.</summary>
    private static double Tolerance(double relativeSigma, double elapsedSeconds) =>
        Math.Max(0.05, 5 * relativeSigma) + (DriftExponentBound * Math.Log(1 + elapsedSeconds));
}
