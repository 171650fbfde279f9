using CimHil.Core.Numerics;

namespace CimHil.Core.Tests.Numerics;

public class SplitMix64Tests
{
    [Fact]
    public void Next_SeedZero_GivesThePublishedFirstOutputs()
    {
        // Vigna's splitmix64.c with x = 0 (the xoshiro authors' seeding reference).
        ulong state = 0;
        Assert.Equal(0xE220A8397B1DCDAFUL, SplitMix64.Next(ref state));
        Assert.Equal(0x6E789E6AA1B965F4UL, SplitMix64.Next(ref state));
        Assert.Equal(0x06C45D188009454FUL, SplitMix64.Next(ref state));
    }

    [Fact]
    public void Next_AdvancesTheStateByGamma()
    {
        ulong state = 5;
        SplitMix64.Next(ref state);
        Assert.Equal(5 + SplitMix64.Gamma, state);
    }

    [Fact]
    public void Finalise_IsNextWithoutTheIncrement()
    {
        ulong state = 0;
        Assert.Equal(SplitMix64.Next(ref state), SplitMix64.Finalise(SplitMix64.Gamma));
        Assert.Equal(0UL, SplitMix64.Finalise(0));
    }
}
