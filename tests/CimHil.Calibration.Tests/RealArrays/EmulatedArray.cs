using System.Text;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Emulator;
using CimHil.Tests.Shared;
using PureHDF;

namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>
/// Issue #16 acceptance: a small RRAM array of the emulator programmed and verified to four levels by a plain bench loop
/// (read, SET or RESET with an amplitude ramp, until the read lies in the ±<see cref="ToleranceS"/> window), read <see cref="Reads"/> times
/// as programmed, then read again at <see cref="RelaxedSeconds"/> after programming. The results are written in the
/// foreign layouts of the issue; the emulator's ground truth (faults, true conductances, relaxation fraction and τ, read
/// noise) is kept beside them so the calibration of the imported files can be checked against it.
/// </summary>
internal sealed class EmulatedArray
{
    public const int Rows = 32;
    public const int Columns = 32;
    public const int Reads = 4;
    public const double ReadVoltageV = 0.2;
    public const double ToleranceS = 1e-6;
    public const int MaxPulses = 200;
    public static readonly double[] TargetsS = [10e-6, 30e-6, 50e-6, 70e-6];
    public static readonly double[] RelaxedSeconds = [60, 600];

    private EmulatedArray(EmulatedChip chip, IReadOnlyList<EmulatedCell> cells)
    {
        Chip = chip;
        Cells = cells;
    }

    public EmulatedChip Chip { get; }

    public EmulatorGroundTruth Truth => Chip.GroundTruth;

    public IReadOnlyList<EmulatedCell> Cells { get; }

    /// <summary>
    /// The emulator's settings: stuck rates raised to 3 % + 3 % so the failure rate is measurable on 256 cells per level,
    /// and a larger relaxation fraction with a smaller settling scatter so the relaxation shift stands out of the noise.
    /// </summary>
    public static EmulatorSettings Settings(long seed) => EmulatorSettings.Defaults with
    {
        Technology = DeviceTechnology.Rram,
        Seed = seed,
        Rows = Rows,
        Columns = Columns,
        Rram = EmulatorSettings.Defaults.Rram with
        {
            StuckOnRate = 0.03,
            StuckOffRate = 0.03,
            RelaxationFraction = new Spread(0.3, 0.05, SpreadKind.Normal),
            RelaxationNoiseRelative = 0.01,
        },
    };

    public static async Task<EmulatedArray> ProgramAsync(long seed, CancellationToken cancellationToken)
    {
        var chip = new EmulatedChip(Settings(seed));
        var programmed = new List<(CellAddress Cell, int Level, bool Verified, int Set, int Reset, double LastStep, List<double> Reads, double TrueFinal, double ReadSigma)>();
        for (var r = 0; r < Rows; r++)
        {
            for (var c = 0; c < Columns; c++)
            {
                var cell = new CellAddress(r, c);
                var level = ((r * Columns) + c) % TargetsS.Length;
                programmed.Add(await ProgramCellAsync(chip, cell, level, cancellationToken));
            }
        }

        // Relaxed reads of the verified cells: the virtual clock moves on, every cell is read <see cref="Reads"/> times at each time.
        var relaxed = programmed.ToDictionary(p => p.Cell, _ => (Reads: new List<IReadOnlyList<double>>(), True: new List<double>(), Elapsed: new List<double>()));
        var now = 0.0;
        foreach (var t in RelaxedSeconds)
        {
            chip.VirtualClock.Advance(TimeSpan.FromSeconds(t - now));
            now = t;
            foreach (var p in programmed.Where(p => p.Verified))
            {
                var reads = new List<double>();
                for (var k = 0; k < Reads; k++)
                {
                    reads.Add((await chip.ReadCellAsync(p.Cell, ReadVoltageV, cancellationToken)).ConductanceS);
                }

                relaxed[p.Cell].Reads.Add(reads);
                relaxed[p.Cell].True.Add(chip.TrueConductanceS(p.Cell));
                relaxed[p.Cell].Elapsed.Add(chip.SecondsSinceProgramming(p.Cell));
            }
        }

        var cells = programmed.Select(p => new EmulatedCell(
            p.Cell.Row, p.Cell.Column, p.Level, p.Verified, p.Set, p.Reset, p.LastStep, p.Reads, p.TrueFinal, p.ReadSigma,
            relaxed[p.Cell].Reads, relaxed[p.Cell].True, relaxed[p.Cell].Elapsed)).ToList();
        return new EmulatedArray(chip, cells);
    }

    /// <summary>
    /// Forms the cell (the default plan's forming pulse, ramped) and runs the verify loop. Pulse parameters are those of
    /// plans/default-rram.json (tuned on the emulator's default physics): SET from 0.85 V, RESET from 0.95 V, +20 mV per
    /// pulse in the same direction, back to the start when the direction changes.
    /// </summary>
    private static async Task<(CellAddress, int, bool, int, int, double, List<double>, double, double)> ProgramCellAsync(EmulatedChip chip, CellAddress cell, int level, CancellationToken ct)
    {
        for (var v = 3.0; v <= 4.0 + 1e-9; v += 0.1)
        {
            if ((await chip.FormAsync(cell, new FormingPulse { AmplitudeV = v, WidthSeconds = 1e-5, ComplianceA = 1e-4 }, ct)).Formed)
            {
                break;
            }
        }

        var target = TargetsS[level];
        int set = 0, reset = 0, run = 0;
        PulsePolarity? last = null;
        var lastStep = 0.0;
        var verified = false;
        for (var n = 0; ; n++)
        {
            var g = (await chip.ReadCellAsync(cell, ReadVoltageV, ct)).ConductanceS;
            if (Math.Abs(g - target) <= ToleranceS)
            {
                verified = true;
                break;
            }

            if (n == MaxPulses)
            {
                break;
            }

            var polarity = g < target ? PulsePolarity.Set : PulsePolarity.Reset;
            run = polarity == last ? run + 1 : 0;
            last = polarity;
            var pulse = polarity == PulsePolarity.Set
                ? new ProgramPulse { Polarity = polarity, AmplitudeV = Math.Min(0.85 + (0.02 * run), 2.0), WidthSeconds = 1e-8, GateVoltageV = 2.0 }
                : new ProgramPulse { Polarity = polarity, AmplitudeV = Math.Min(0.95 + (0.02 * run), 2.5), WidthSeconds = 1e-8 };
            var before = chip.TrueConductanceS(cell);
            await chip.ApplyPulseAsync(cell, pulse, ct);
            var after = chip.TrueConductanceS(cell);
            if (after != before)
            {
                // The change the emulator's relaxation acts on (a fraction f of the last change relaxes away).
                lastStep = after - before;
            }

            if (polarity == PulsePolarity.Set)
            {
                set++;
            }
            else
            {
                reset++;
            }
        }

        var reads = new List<double>();
        for (var k = 0; k < Reads; k++)
        {
            reads.Add((await chip.ReadCellAsync(cell, ReadVoltageV, ct)).ConductanceS);
        }

        var trueFinal = chip.TrueConductanceS(cell);
        return (cell, level, verified, set, reset, lastStep, reads, trueFinal, chip.GroundTruth.ReadNoiseSigmaS(cell, trueFinal));
    }

    public IEnumerable<EmulatedCell> InLevel(int level) => Cells.Where(c => c.Level == level);

    public int Faulty(int level) => InLevel(level).Count(c => Truth.Faults[Truth.IndexOf(new CellAddress(c.Row, c.Column))] != CellFault.None);

    /// <summary>The configured fault rate: every stuck cell fails verification, every healthy one verifies.</summary>
    public double ConfiguredFailureRate => Truth.Settings.Rram.StuckOnRate + Truth.Settings.Rram.StuckOffRate;

    /// <summary>Headerless TSV in ohms: 1-based column-major index, R, window in ohms, SET and RESET pulses, pass flag; one row per read.</summary>
    public string HeaderlessTsvOhms()
    {
        var sb = new StringBuilder("# emulator program-and-verify log; R in ohm\n");
        foreach (var c in Cells)
        {
            var t = TargetsS[c.Level];
            foreach (var g in c.FinalReadsS)
            {
                // A stuck-off cell reads at or below 0 S within the noise: an ohmmeter logs its overload value there,
                // 9.9E37 (SCPI-99, Vol. 1, 7.2.1 "NaN and overload" convention).
                var ohms = g > 0 ? 1 / g : 9.9e37;
                sb.Append(TruthArray.Inv($"{(c.Column * Rows) + c.Row + 1}\t{ohms:R}\t{1 / (t + ToleranceS):R}\t{1 / (t - ToleranceS):R}\t{c.SetPulses}\t{c.ResetPulses}\t{(c.Verified ? "pass" : "fail")}\n"));
            }
        }

        return sb.ToString();
    }

    public static string HeaderlessTsvOhmsMap => ImportMappingFiles.HeaderlessTsvOhms(Rows, Columns);

    /// <summary>CSV with a header in µS (the layout and map of <see cref="TruthArray.CsvMicrosiemens"/>): no window, a verify flag.</summary>
    public string CsvMicrosiemens()
    {
        var sb = new StringBuilder("G_uS,col,target_uS,ok,row,read\n");
        foreach (var c in Cells)
        {
            for (var k = 0; k < c.FinalReadsS.Count; k++)
            {
                sb.Append(TruthArray.Inv($"{c.FinalReadsS[k] * 1e6:R},{c.Column},{TargetsS[c.Level] * 1e6:R},{(c.Verified ? 1 : 0)},{c.Row},{k}\n"));
            }
        }

        return sb.ToString();
    }

    /// <summary>HDF5 (the layout and map of <see cref="TruthArray.Hdf5"/>): one element per read, window in S.</summary>
    public string Hdf5(string dir)
    {
        var reads = Cells.SelectMany(c => c.FinalReadsS.Select(g => (c, g))).ToList();
        var file = new H5File
        {
            ["meas"] = new H5Group
            {
                ["row"] = reads.Select(r => r.c.Row).ToArray(),
                ["col"] = reads.Select(r => r.c.Column).ToArray(),
                ["g"] = reads.Select(r => r.g).ToArray(),
                ["lo"] = reads.Select(r => TargetsS[r.c.Level] - ToleranceS).ToArray(),
                ["hi"] = reads.Select(r => TargetsS[r.c.Level] + ToleranceS).ToArray(),
                ["ok"] = reads.Select(r => r.c.Verified ? 1 : 0).ToArray(),
            },
        };
        var path = Path.Combine(dir, "emulator.h5");
        file.Write(path);
        return path;
    }

    /// <summary>
    /// Long-format repeated reads of the verified cells: the <see cref="Reads"/> reads as programmed (phase "as-programmed", t = 0 s),
    /// then as many at each of <see cref="RelaxedSeconds"/> (phase "relaxed"); one row per read.
    /// </summary>
    public string LongFormatRetention()
    {
        var sb = new StringBuilder("row;col;target_uS;t_s;phase;rep;G_uS\n");
        foreach (var c in Cells.Where(c => c.Verified))
        {
            var target = TargetsS[c.Level] * 1e6;
            for (var k = 0; k < c.FinalReadsS.Count; k++)
            {
                sb.Append(TruthArray.Inv($"{c.Row};{c.Column};{target:R};0;as-programmed;{k};{c.FinalReadsS[k] * 1e6:R}\n"));
            }

            for (var p = 0; p < RelaxedSeconds.Length; p++)
            {
                for (var k = 0; k < c.RelaxedReadsS[p].Count; k++)
                {
                    sb.Append(TruthArray.Inv($"{c.Row};{c.Column};{target:R};{RelaxedSeconds[p]:R};relaxed;{k};{c.RelaxedReadsS[p][k] * 1e6:R}\n"));
                }
            }
        }

        return sb.ToString();
    }

    public const string LongFormatRetentionMap = """
        {
          "kind": "retention",
          "format": { "type": "delimited", "delimiter": "semicolon", "header": true },
          "fields": {
            "row": { "column": "row" },
            "column": { "column": "col" },
            "target": { "column": "target_uS", "unit": "uS" },
            "elapsed": { "column": "t_s", "unit": "s" },
            "phase": { "column": "phase" },
            "repeat": { "column": "rep" },
            "value": { "column": "G_uS", "unit": "uS" }
          },
          "constants": { "readVoltageV": 0.2 }
        }
        """;
}
