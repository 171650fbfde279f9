using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Keithley4200A;

/// <summary>The conformance suite for keithley-4200a against the emulated 4200A-SCS (KXCI over a NUL-terminated socket) + 707B.</summary>
public sealed class Keithley4200AConformanceTests : ChipConformanceTests
{
    protected override string ExpectedVendor => "KEITHLEY INSTRUMENTS";

    internal override Task<Rig> StartAsync() => Benches.Keithley4200AAsync();

    protected override void AssertSafeState() => AssertSafe(Rig.K4200A!);

    /// <summary>SMU1 off, the PMU outputs off, the matrix open, and no command refused: shared with the pulsed-read suite.</summary>
    internal static void AssertSafe(CimHil.Emulator.Instruments.Keithley4200ABench bench)
    {
        Assert.True(bench.Analyzer.IsSmuOff(1));
        Assert.True(bench.Analyzer.PmuOutputsOff);
        Assert.Empty(bench.Matrix.ClosedChannels);
        Assert.True(bench.IsSafe);
        Assert.Equal(0, bench.Analyzer.ErrorCount);
    }
}
