using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.SmuMatrix;

/// <summary>The conformance suite for smu-matrix against the emulated Keithley 2450 + 707B, each on its own loopback socket.</summary>
public sealed class SmuMatrixConformanceTests : ChipConformanceTests
{
    protected override string ExpectedVendor => "KEITHLEY INSTRUMENTS";

    internal override Task<Rig> StartAsync() => Benches.SmuMatrixAsync();

    protected override void AssertSafeState()
    {
        var bench = Rig.Bench!;
        Assert.False(bench.Smu.OutputOn);
        Assert.Equal(0, bench.Smu.SourceLevelV);
        Assert.Empty(bench.Matrix.ClosedChannels);
        Assert.True(bench.IsSafe);
    }
}
