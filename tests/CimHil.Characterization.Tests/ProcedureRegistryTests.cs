using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Core.Config;

namespace CimHil.Characterization.Tests;

/// <summary>Procedures are found by their attribute; the built-in seven keep the order (and stored ordinals) they always had.</summary>
public sealed class ProcedureRegistryTests
{
    [Fact]
    public void BuiltIn_HoldsTheSevenProcedures_InTheirStoredOrder()
    {
        var all = ProcedureRegistry.BuiltIn.All;

        Assert.Equal(ProcedureNames.InOrder, all.Select(p => p.Section));
        Assert.Equal(Enumerable.Range(1, 7), all.Select(p => p.Order));
    }

    [Fact]
    public void Scan_TwoProceduresClaimingOneSection_IsRefusedNamingBoth()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ProcedureRegistry.Scan([typeof(ProcedureRegistryTests).Assembly]));

        Assert.Contains("'twin'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(TwinProcedureA), ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(TwinProcedureB), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ASectionNoProcedureClaims_IsRefusedAtItsPath()
    {
        var json = File.ReadAllText(TestPlans.PlanPath("default-rram")).Replace("\"drift\":", "\"drfit\":", StringComparison.Ordinal);

        var ex = Assert.Throws<ConfigException>(() => CharacterizationPlan.Parse(json, "p.json", ProcedureRegistry.BuiltIn));

        Assert.Equal("drfit", ex.JsonPath);
        Assert.Contains("did you mean 'drift'?", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseStored_PassesOverASectionOfAPluginNotLoaded_AndKeepsTheRest()
    {
        var json = File.ReadAllText(TestPlans.PlanPath("default-rram")).Replace("\"drift\":", "\"labSnapshot\": { \"rows\": 2 }, \"drift\":", StringComparison.Ordinal);

        var plan = CharacterizationPlan.ParseStored(json, "stored");

        Assert.Equal(ProcedureNames.InOrder, plan.Procedures);
        Assert.Throws<ConfigException>(() => CharacterizationPlan.Parse(json, "p.json"));
    }
}

/// <summary>One of two procedures that claim the same section, for the scan's refusal.</summary>
[CharacterizationProcedure("twin")]
public sealed class TwinProcedureA : CharacterizationProcedure<string>
{
    public override string Parse(JsonSection section) => section.Path;

    public override void Review(string spec, PlanReview review) => review.Preview(0, "cell", 0, []);

    public override Task RunAsync(string spec, ProcedureContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The other claimant of <c>twin</c>.</summary>
[CharacterizationProcedure("twin")]
public sealed class TwinProcedureB : ICharacterizationProcedure
{
    public PlanUse Uses => PlanUse.None;

    public object Parse(JsonSection section) => section.Path;

    public void Review(object spec, PlanReview review) => review.Preview(0, "cell", 0, []);

    public Task RunAsync(object spec, ProcedureContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}
