using CimHil.Characterization.Plans;
using CimHil.Core.Config;

namespace CimHil.Characterization.Tests;

public sealed class PlanTests
{
    [Theory]
    [InlineData("rram")]
    [InlineData("pcm")]
    public void ShippedDefaultPlans_Parse_WithEveryProcedureButFormingOnPcm(string technology)
    {
        var plan = TestPlans.Default(technology);
        Assert.Equal($"default-{technology}", plan.Name);
        Assert.NotNull(plan.Multilevel);
        Assert.NotNull(plan.CycleToCycle);
        Assert.NotNull(plan.ReadNoise);
        Assert.NotNull(plan.Drift);
        Assert.NotNull(plan.StuckMap);
        Assert.NotNull(plan.IvSweep);
        Assert.Equal(technology == "rram", plan.Forming is not null);
    }

    [Fact]
    public void Parse_MisspeltKey_NamesTheJsonPathAndSuggests()
    {
        var json = TestPlans.SmallRramJson.Replace("\"toleranceS\"", "\"tolerance\"", StringComparison.Ordinal);
        var ex = Assert.Throws<ConfigException>(() => CharacterizationPlan.Parse(json, "p.json"));
        Assert.Equal("programVerify.tolerance", ex.JsonPath);
        Assert.Contains("toleranceS", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NegativeTarget_IsRefusedWithItsIndex()
    {
        var json = TestPlans.SmallRramJson.Replace("[10e-6, 30e-6, 50e-6, 70e-6]", "[10e-6, -30e-6]", StringComparison.Ordinal);
        var ex = Assert.Throws<ConfigException>(() => CharacterizationPlan.Parse(json, "p.json"));
        Assert.Equal("multilevel.targetsS[1]", ex.JsonPath);
    }

    [Fact]
    public void DriftTimes_AreLogSpacedFromFirstToLast()
    {
        var plan = TestPlans.SmallRram;
        var t = plan.Drift!.TimesSeconds;
        Assert.Equal(1.0, t[0], 12);
        Assert.Equal(1000.0, t[^1], 9);
        Assert.Equal(7, t.Length);
        for (var i = 1; i < t.Length; i++)
        {
            Assert.Equal(Math.Sqrt(10), t[i] / t[i - 1], 9);
        }
    }

    [Fact]
    public void SectionJson_HoldsTheSharedSettingsAndTheProcedure()
    {
        var s = TestPlans.SmallRram.SectionJson("multilevel");
        Assert.Contains("\"readVoltageV\":0.2", s, StringComparison.Ordinal);
        Assert.Contains("\"multilevel\":{", s, StringComparison.Ordinal);
        Assert.Contains("\"programVerify\":{", s, StringComparison.Ordinal);
    }
}
