using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.B1500;

/// <summary>The WGFMU library keeps one session per process: every b1500 test class runs in this collection, one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WgfmuSessionCollection
{
    public const string Name = "WGFMU session";
}

/// <summary>
/// The conformance suite for b1500 against the emulated B1500A, WGFMU and 707B on loopback sockets, with the WGFMU reached
/// through the real P/Invoke declarations and the gcc-built stand-in library.
/// </summary>
[Collection(WgfmuSessionCollection.Name)]
public sealed class B1500ConformanceTests : ChipConformanceTests
{
    protected override string ExpectedVendor => "Keysight Technologies";

    internal override Task<Rig> StartAsync() => Benches.B1500Async();

    protected override void AssertSafeState()
    {
        var bench = Rig.B1500!;
        Assert.Equal(0, bench.Wgfmu.OutputV(bench.Wgfmu.HiChannelId));
        Assert.Equal(0, bench.Wgfmu.OutputV(bench.Wgfmu.LoChannelId));
        Assert.False(bench.Wgfmu.IsConnected(bench.Wgfmu.HiChannelId));
        Assert.False(bench.Wgfmu.IsConnected(bench.Wgfmu.LoChannelId));
        Assert.Empty(bench.Matrix.ClosedChannels);
        Assert.True(bench.Mainframe.ClearChannelCount >= 2, "CL at connect and again on close");
        Assert.True(bench.IsSafe);
    }
}
