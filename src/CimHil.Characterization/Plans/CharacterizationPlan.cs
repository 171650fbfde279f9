using System.Collections.Immutable;
using System.Text.Json;
using CimHil.Characterization.Procedures;
using CimHil.Core.Chip;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>A fixed pulse: amplitude, width, optional gate voltage and compliance.</summary>
public sealed record PulseSpec(double AmplitudeV, double WidthSeconds, double? GateVoltageV, double? ComplianceA)
{
    public ProgramPulse ToPulse(PulsePolarity polarity) => new()
    {
        Polarity = polarity,
        AmplitudeV = AmplitudeV,
        WidthSeconds = WidthSeconds,
        GateVoltageV = GateVoltageV,
        ComplianceA = ComplianceA,
    };

    internal static PulseSpec Parse(JsonSection s)
    {
        s.AllowOnly("amplitudeV", "widthSeconds", "gateV", "complianceA");
        return new PulseSpec(s.Positive("amplitudeV"), s.Positive("widthSeconds"), s.OptionalDouble("gateV", 0, null), s.OptionalDouble("complianceA", 0, null));
    }
}

/// <summary>Incremental-step pulse programming of one polarity: amplitudes start, start+step, … up to max.</summary>
public sealed record IsppSpec(double StartV, double StepV, double MaxV, double WidthSeconds, double? GateVoltageV, double? ComplianceA)
{
    /// <summary>The amplitude of the n-th consecutive pulse of this polarity (n from 0).</summary>
    public double AmplitudeV(int n) => Math.Min(MaxV, StartV + (n * StepV));

    internal static IsppSpec Parse(JsonSection s)
    {
        s.AllowOnly("startV", "stepV", "maxV", "widthSeconds", "gateV", "complianceA");
        var start = s.Positive("startV");
        var max = s.Positive("maxV");
        if (max < start)
        {
            throw s.Error("maxV", $"{max} V is below startV {start} V");
        }

        return new IsppSpec(start, s.Double("stepV", 0, 0, null), max, s.Positive("widthSeconds"), s.OptionalDouble("gateV", 0, null), s.OptionalDouble("complianceA", 0, null));
    }
}

/// <summary>Program-and-verify settings shared by every procedure that programs to a target.</summary>
public sealed record ProgramVerifySpec
{
    /// <summary>A cell is done when |G − target| ≤ this.</summary>
    public required double ToleranceS { get; init; }

    public required int MaxPulses { get; init; }

    public required IsppSpec Set { get; init; }

    public required IsppSpec Reset { get; init; }

    /// <summary>Wait after the last pulse of a row before its final reads, so post-programming transients are part of the result.</summary>
    public double SettleSeconds { get; init; }

    /// <summary>Reads of each cell after settling; their mean is the programmed value, their spread the read noise at that moment.</summary>
    public int FinalReads { get; init; } = 1;

    /// <summary>Block reads averaged into one verify read (instrument-style averaging); stored as one read record.</summary>
    public int VerifyReads { get; init; } = 1;

    internal static ProgramVerifySpec Parse(JsonSection s)
    {
        s.AllowOnly("toleranceS", "maxPulses", "set", "reset", "settleSeconds", "finalReads", "verifyReads");
        return new ProgramVerifySpec
        {
            ToleranceS = s.Positive("toleranceS"),
            MaxPulses = s.Int("maxPulses", 1, 100_000),
            Set = IsppSpec.Parse(s.Section("set")),
            Reset = IsppSpec.Parse(s.Section("reset")),
            SettleSeconds = s.Double("settleSeconds", 0, 0, 1e6),
            FinalReads = s.Int("finalReads", 1, 1, 1000),
            VerifyReads = s.Int("verifyReads", 1, 1, 1000),
        };
    }
}

/// <summary>Which cells a procedure uses: all eligible cells, or a deterministic sample of them.</summary>
public sealed record SampleSpec(int? Count)
{
    public static SampleSpec All { get; } = new((int?)null);

    internal static SampleSpec Parse(JsonSection parent) =>
        parent.Has("sampleCount") ? new SampleSpec(parent.Int("sampleCount", 1, null)) : All;
}

/// <summary>Forming of fresh RRAM cells: a pulse with compliance, raised by a step until the cell forms or the maximum is reached.</summary>
public sealed record FormingSpec(double AmplitudeV, double StepV, double MaxAmplitudeV, double WidthSeconds, double ComplianceA, double? GateVoltageV)
{
    internal static FormingSpec Parse(JsonSection s)
    {
        s.AllowOnly("amplitudeV", "stepV", "maxAmplitudeV", "widthSeconds", "complianceA", "gateV");
        var a = s.Positive("amplitudeV");
        return new FormingSpec(a, s.Double("stepV", 0, 0, null), s.Double("maxAmplitudeV", a, a, null), s.Positive("widthSeconds"), s.Positive("complianceA"), s.OptionalDouble("gateV", 0, null));
    }
}

/// <summary>DC I–V sweep: reads of selected cells at each voltage (within the read limit).</summary>
public sealed record IvSweepSpec(ImmutableArray<CellAddress> Cells, ImmutableArray<double> VoltagesV)
{
    internal static IvSweepSpec Parse(JsonSection s)
    {
        s.AllowOnly("cells", "voltagesV");
        var cells = new List<CellAddress>();
        var v = s.Element.GetProperty("cells");
        if (v.ValueKind != JsonValueKind.Array)
        {
            throw s.Error("cells", "expected an array of [row, column] pairs");
        }

        var i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != 2 || !item[0].TryGetInt32(out var r) || !item[1].TryGetInt32(out var c) || r < 0 || c < 0)
            {
                throw new ConfigException($"{s.PathOf("cells")}[{i}]", "expected [row, column] with non-negative whole numbers");
            }

            cells.Add(new CellAddress(r, c));
            i++;
        }

        var volts = s.Doubles("voltagesV", 1);
        if (volts.Any(x => x == 0))
        {
            throw s.Error("voltagesV", "0 V gives no conductance; leave it out");
        }

        return new IvSweepSpec([.. cells], [.. volts]);
    }
}

/// <summary>Stuck-cell map: strong SET pulses then a read, strong RESET pulses then a read, for every cell.</summary>
public sealed record StuckMapSpec(PulseSpec SetPulse, PulseSpec ResetPulse, int Pulses)
{
    internal static StuckMapSpec Parse(JsonSection s)
    {
        s.AllowOnly("set", "reset", "pulses");
        return new StuckMapSpec(PulseSpec.Parse(s.Section("set")), PulseSpec.Parse(s.Section("reset")), s.Int("pulses", 1, 1, 10_000));
    }
}

/// <summary>Device-to-device variation: program every (sampled) cell to each target and read back.</summary>
public sealed record MultilevelSpec(ImmutableArray<double> TargetsS, SampleSpec Sample);

/// <summary>Cycle-to-cycle variation: repeatedly program a cell to the start target, apply one fixed probe pulse, read.</summary>
public sealed record CycleToCycleSpec(double StartTargetS, PulseSpec Probe, PulsePolarity ProbePolarity, int Repeats, int ProbeReads, SampleSpec Sample);

/// <summary>Read noise: program each sampled cell to one of the targets, then read it repeatedly without programming.</summary>
public sealed record ReadNoiseSpec(ImmutableArray<double> TargetsS, int Reads, SampleSpec Sample);

/// <summary>Drift and retention: program sampled cells to the targets, read at log-spaced times after programming.</summary>
public sealed record DriftSpec(ImmutableArray<double> TargetsS, ImmutableArray<double> TimesSeconds, int ReadsPerPoint, SampleSpec Sample);

/// <summary>
/// A characterisation plan (plans/*.json): read voltage, program-and-verify settings and the procedures to run,
/// in the fixed order forming → stuckMap → ivSweep → multilevel → cycleToCycle → readNoise → drift.
/// </summary>
public sealed record CharacterizationPlan
{
    public required string Name { get; init; }

    public required double ReadVoltageV { get; init; }

    /// <summary>Seeds the choice of sampled cells (not the chip), so a resumed run samples the same cells.</summary>
    public long Seed { get; init; }

    public required ProgramVerifySpec Verify { get; init; }

    public FormingSpec? Forming { get; init; }

    public StuckMapSpec? StuckMap { get; init; }

    public IvSweepSpec? IvSweep { get; init; }

    public MultilevelSpec? Multilevel { get; init; }

    public CycleToCycleSpec? CycleToCycle { get; init; }

    public ReadNoiseSpec? ReadNoise { get; init; }

    public DriftSpec? Drift { get; init; }

    /// <summary>The plan's JSON text exactly as read; stored with the run.</summary>
    public required string Json { get; init; }

    public static CharacterizationPlan Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(string.Empty, "plan file not found", path);
        }

        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (ConfigException ex) when (ex.Source_ is null)
        {
            throw ex.WithSource(path);
        }
    }

    public static CharacterizationPlan Parse(string json, string source = "plan")
    {
        var s = JsonSection.Parse(json, source);
        s.AllowOnly("name", "readVoltageV", "seed", "programVerify", "forming", "stuckMap", "ivSweep", "multilevel", "cycleToCycle", "readNoise", "drift");
        return new CharacterizationPlan
        {
            Name = s.String("name"),
            ReadVoltageV = s.Positive("readVoltageV"),
            Seed = s.Long("seed", 1),
            Verify = ProgramVerifySpec.Parse(s.Section("programVerify")),
            Forming = s.OptionalSection("forming") is { } f ? FormingSpec.Parse(f) : null,
            StuckMap = s.OptionalSection("stuckMap") is { } sm ? StuckMapSpec.Parse(sm) : null,
            IvSweep = s.OptionalSection("ivSweep") is { } iv ? IvSweepSpec.Parse(iv) : null,
            Multilevel = s.OptionalSection("multilevel") is { } ml ? ParseMultilevel(ml) : null,
            CycleToCycle = s.OptionalSection("cycleToCycle") is { } cc ? ParseCycleToCycle(cc) : null,
            ReadNoise = s.OptionalSection("readNoise") is { } rn ? ParseReadNoise(rn) : null,
            Drift = s.OptionalSection("drift") is { } d ? ParseDrift(d) : null,
            Json = json,
        };
    }

    /// <summary>The procedures this plan has a section for, in the order they run.</summary>
    public IReadOnlyList<string> Procedures => ProcedureNames.InOrder.Where(p => p switch
    {
        ProcedureNames.Forming => Forming is not null,
        ProcedureNames.StuckMap => StuckMap is not null,
        ProcedureNames.IvSweep => IvSweep is not null,
        ProcedureNames.Multilevel => Multilevel is not null,
        ProcedureNames.CycleToCycle => CycleToCycle is not null,
        ProcedureNames.ReadNoise => ReadNoise is not null,
        _ => Drift is not null,
    }).ToList();

    /// <summary>The JSON text of one procedure's section, stored with the procedure and compared on resume.</summary>
    public string SectionJson(string procedure)
    {
        using var doc = JsonDocument.Parse(Json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = doc.RootElement;
        var verify = root.TryGetProperty("programVerify", out var pv) ? pv.GetRawText() : "null";
        var section = root.TryGetProperty(procedure, out var p) ? p.GetRawText() : "null";
        return $"{{\"readVoltageV\":{root.GetProperty("readVoltageV").GetRawText()},\"seed\":{(root.TryGetProperty("seed", out var sd) ? sd.GetRawText() : "1")},\"programVerify\":{verify},\"{procedure}\":{section}}}";
    }

    private static ImmutableArray<double> Targets(JsonSection s)
    {
        var t = s.Doubles("targetsS", 1);
        for (var i = 0; i < t.Count; i++)
        {
            if (!(t[i] > 0))
            {
                throw new ConfigException($"{s.PathOf("targetsS")}[{i}]", $"{t[i]} S must be greater than 0");
            }
        }

        return [.. t];
    }

    private static MultilevelSpec ParseMultilevel(JsonSection s)
    {
        s.AllowOnly("targetsS", "sampleCount");
        return new MultilevelSpec(Targets(s), SampleSpec.Parse(s));
    }

    private static CycleToCycleSpec ParseCycleToCycle(JsonSection s)
    {
        s.AllowOnly("startTargetS", "probe", "probePolarity", "repeats", "probeReads", "sampleCount");
        return new CycleToCycleSpec(s.Positive("startTargetS"), PulseSpec.Parse(s.Section("probe")), s.Enum("probePolarity", PulsePolarity.Set), s.Int("repeats", 2, 100_000), s.Int("probeReads", 1, 1, 1000), SampleSpec.Parse(s));
    }

    private static ReadNoiseSpec ParseReadNoise(JsonSection s)
    {
        s.AllowOnly("targetsS", "reads", "sampleCount");
        return new ReadNoiseSpec(Targets(s), s.Int("reads", 2, 1_000_000), SampleSpec.Parse(s));
    }

    private static DriftSpec ParseDrift(JsonSection s)
    {
        s.AllowOnly("targetsS", "firstSeconds", "lastSeconds", "pointsPerDecade", "readsPerPoint", "sampleCount");
        var first = s.Positive("firstSeconds");
        var last = s.Positive("lastSeconds");
        if (last <= first)
        {
            throw s.Error("lastSeconds", $"{last} s must be after firstSeconds {first} s");
        }

        var perDecade = s.Int("pointsPerDecade", 1, 100);

        // Log-spaced read times, as retention and drift are power laws in time (Ielmini et al., IEEE TED 54(2), 2007).
        var decades = Math.Log10(last / first);
        var n = (int)Math.Ceiling(decades * perDecade);
        var times = Enumerable.Range(0, n + 1).Select(k => first * Math.Pow(10, Math.Min(decades, (double)k / perDecade))).Distinct().ToImmutableArray();
        return new DriftSpec(Targets(s), times, s.Int("readsPerPoint", 1, 1, 1000), SampleSpec.Parse(s));
    }
}
