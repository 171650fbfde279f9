using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Keithley4200A;

/// <summary>The conformance suite for keithley-4200a reading through the 4225-PMU (<c>"readMode": "pmu"</c>) instead of the SMU.</summary>
public sealed class Keithley4200APulsedReadConformanceTests : ChipConformanceTests
{
    protected override string ExpectedVendor => "KEITHLEY INSTRUMENTS";

    internal override Task<Rig> StartAsync() => Benches.Keithley4200AAsync(", \"pmuChannel\": 1, \"readMode\": \"pmu\"");

    protected override void AssertSafeState()
    {
        Keithley4200AConformanceTests.AssertSafe(Rig.K4200A!);
        Assert.True(Rig.K4200A!.Analyzer.PulsedReads > 0);
    }
}
