using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Keithley2600B;

/// <summary>The conformance suite for keithley-2600b against the emulated 2636B (TSP interpreter) + 707B, each on its own loopback socket.</summary>
public sealed class Keithley2600BConformanceTests : ChipConformanceTests
{
    protected override string ExpectedVendor => "Keithley Instruments Inc.";

    internal override Task<Rig> StartAsync() => Benches.Keithley2600BAsync();

    protected override void AssertSafeState()
    {
        var bench = Rig.K2600B!;
        Assert.True(bench.Smu.IsOffAtZero("smua"));
        Assert.True(bench.Smu.IsOffAtZero("smub"));
        Assert.Empty(bench.Matrix!.ClosedChannels);
        Assert.True(bench.IsSafe);
        Assert.Equal(0, bench.Smu.ErrorCount);
    }
}
