using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Keithley4200A;

/// <summary>The conformance suite for keithley-4200a reading through the 4225-PMU (<c>"readMode": "pmu"</c>) instead of the SMU.</summary>
public sealed class Keithley4200APulsedReadConformanceTests : ChipConformanceTests
{
    protected override string ExpectedVendor => "KEITHLEY INSTRUMENTS";

    internal override Task<Rig> StartAsync() => Benches.Keithley4200AAsync(", \"pmuChannel\": 1, \"readMode\": \"pmu\"");

    protected override void AssertSafeState()
    {
        var bench = Rig.K4200A!;
        Assert.True(bench.Analyzer.IsSmuOff(1));
        Assert.True(bench.Analyzer.PmuOutputsOff);
        Assert.Empty(bench.Matrix.ClosedChannels);
        Assert.True(bench.IsSafe);
        Assert.Equal(0, bench.Analyzer.ErrorCount);
        Assert.True(bench.Analyzer.PulsedReads > 0);
    }
}
