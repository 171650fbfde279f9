using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.CimHilBoard;

/// <summary>The conformance suite for cimhil-board against `cimhil emulator serve`'s board on a loopback TCP socket.</summary>
public sealed class CimHilBoardTcpConformanceTests : ChipConformanceTests
{
    private int _safeStateCallsBeforeDispose;

    protected override string ExpectedVendor => "CimHil";

    internal override async Task<Rig> StartAsync()
    {
        var rig = await Benches.BoardAsync();
        _safeStateCallsBeforeDispose = rig.Backing.SafeStateCalls;
        return rig;
    }

    /// <summary>The board's SYST:SAFE reaches the emulated chip's SafeStateAsync (its DACs at 0 V, outputs off).</summary>
    protected override void AssertSafeState() => Assert.True(Rig.Backing.SafeStateCalls > _safeStateCallsBeforeDispose);
}

/// <summary>The same suite over a serial line: the board served on a pseudo-terminal, the driver on the termios transport.</summary>
public sealed class CimHilBoardSerialConformanceTests : ChipConformanceTests
{
    private int _safeStateCallsBeforeDispose;

    protected override string ExpectedVendor => "CimHil";

    internal override async Task<Rig> StartAsync()
    {
        var rig = await Benches.BoardAsync(overPty: true);
        _safeStateCallsBeforeDispose = rig.Backing.SafeStateCalls;
        return rig;
    }

    protected override void AssertSafeState() => Assert.True(Rig.Backing.SafeStateCalls > _safeStateCallsBeforeDispose);
}
