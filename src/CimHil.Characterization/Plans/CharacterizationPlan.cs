using System.Text.Json;
using CimHil.Characterization.Procedures;
using CimHil.Core.Config;

namespace CimHil.Characterization.Plans;

/// <summary>
/// A characterisation plan (plans/*.json): read voltage, program-and-verify settings and the procedures to run, each
/// section parsed by the registered procedure that claims it, in the procedures' order (the built-ins: forming →
/// stuckMap → ivSweep → multilevel → cycleToCycle → readNoise → drift).
/// </summary>
public sealed record CharacterizationPlan
{
    private static readonly string[] PlanWideKeys = ["name", "readVoltageV", "seed", "programVerify"];

    public required string Name { get; init; }

    public required double ReadVoltageV { get; init; }

    /// <summary>Seeds the choice of sampled cells (not the chip), so a resumed run samples the same cells.</summary>
    public long Seed { get; init; }

    public required ProgramVerifySpec Verify { get; init; }

    /// <summary>The procedures the plan has a section for, each with its parsed section, in the order they run.</summary>
    public required IReadOnlyList<PlannedProcedure> Sections { get; init; }

    /// <summary>The procedures the plan was parsed with: on resume, every one of them with records must keep its parameters.</summary>
    public required ProcedureRegistry Registry { get; init; }

    public FormingSpec? Forming => Spec<FormingSpec>(ProcedureNames.Forming);

    public StuckMapSpec? StuckMap => Spec<StuckMapSpec>(ProcedureNames.StuckMap);

    public IvSweepSpec? IvSweep => Spec<IvSweepSpec>(ProcedureNames.IvSweep);

    public MultilevelSpec? Multilevel => Spec<MultilevelSpec>(ProcedureNames.Multilevel);

    public CycleToCycleSpec? CycleToCycle => Spec<CycleToCycleSpec>(ProcedureNames.CycleToCycle);

    public ReadNoiseSpec? ReadNoise => Spec<ReadNoiseSpec>(ProcedureNames.ReadNoise);

    public DriftSpec? Drift => Spec<DriftSpec>(ProcedureNames.Drift);

    /// <summary>The plan's JSON text exactly as read; stored with the run.</summary>
    public required string Json { get; init; }

    /// <summary>The procedures this plan has a section for, in the order they run.</summary>
    public IReadOnlyList<string> Procedures => Sections.Select(s => s.Name).ToList();

    /// <summary>Reads and parses a plan file with <paramref name="registry"/> (default: <see cref="ProcedureRegistry.Default"/>).</summary>
    public static CharacterizationPlan Load(string path, ProcedureRegistry? registry = null)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(string.Empty, "plan file not found", path);
        }

        try
        {
            return Parse(File.ReadAllText(path), path, registry);
        }
        catch (ConfigException ex) when (ex.Source_ is null)
        {
            throw ex.WithSource(path);
        }
    }

    /// <summary>Parses a plan; a section no registered procedure claims is refused, naming the ones that exist.</summary>
    public static CharacterizationPlan Parse(string json, string source = "plan", ProcedureRegistry? registry = null) =>
        Parse(json, source, registry ?? ProcedureRegistry.Default, claimedOnly: false);

    /// <summary>
    /// Parses the plan stored with a run, for reading its records (calibration): a section of a procedure plug-in not
    /// loaded here is passed over, as the run that stored it already checked it.
    /// </summary>
    public static CharacterizationPlan ParseStored(string json, string source) =>
        Parse(json, source, ProcedureRegistry.Default, claimedOnly: true);

    /// <summary>This plan without the sections of <paramref name="procedures"/>; its <see cref="Json"/> is kept as read.</summary>
    public CharacterizationPlan Without(params string[] procedures) =>
        this with { Sections = [.. Sections.Where(s => !procedures.Contains(s.Name, StringComparer.Ordinal))] };

    /// <summary>The parsed section of <paramref name="procedure"/>, or null when the plan has none.</summary>
    public TSpec? Spec<TSpec>(string procedure)
        where TSpec : class =>
        Sections.FirstOrDefault(s => s.Name == procedure)?.Spec as TSpec;

    /// <summary>The JSON text of one procedure's section, stored with the procedure and compared on resume.</summary>
    public string SectionJson(string procedure)
    {
        using var doc = JsonDocument.Parse(Json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var root = doc.RootElement;
        var verify = root.TryGetProperty("programVerify", out var pv) ? pv.GetRawText() : "null";
        var section = root.TryGetProperty(procedure, out var p) ? p.GetRawText() : "null";
        return $"{{\"readVoltageV\":{root.GetProperty("readVoltageV").GetRawText()},\"seed\":{(root.TryGetProperty("seed", out var sd) ? sd.GetRawText() : "1")},\"programVerify\":{verify},\"{procedure}\":{section}}}";
    }

    private static CharacterizationPlan Parse(string json, string source, ProcedureRegistry registry, bool claimedOnly)
    {
        var s = JsonSection.Parse(json, source);
        if (!claimedOnly)
        {
            s.AllowOnly([.. PlanWideKeys, .. registry.Sections]);
        }

        var name = s.String("name");
        var readVoltageV = s.Positive("readVoltageV");
        var seed = s.Long("seed", 1);
        var verify = ProgramVerifySpec.Parse(s.Section("programVerify"));
        var sections = registry.All
            .Select(p => s.OptionalSection(p.Section) is { } section ? new PlannedProcedure(p, p.Procedure.Parse(section)) : null)
            .OfType<PlannedProcedure>()
            .ToList();
        return new CharacterizationPlan { Name = name, ReadVoltageV = readVoltageV, Seed = seed, Verify = verify, Sections = sections, Registry = registry, Json = json };
    }
}
