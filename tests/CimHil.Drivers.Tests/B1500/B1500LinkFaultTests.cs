using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Drivers.Tests.Support;
using CimHil.Instruments;
using CimHil.Instruments.Wgfmu;

namespace CimHil.Drivers.Tests.B1500;

/// <summary>
/// The WGFMU library loses its link while the pulse sequence runs (WGFMU_COMMUNICATION_ERROR from WGFMU_execute): whether the
/// waveform played is unknown, so the driver raises <see cref="UncertainPulseException"/>; <see cref="SafeChip"/> runs the safe state.
/// </summary>
[Collection(WgfmuSessionCollection.Name)]
public sealed class B1500LinkFaultTests
{
    [Fact]
    public async Task Program_CommunicationErrorWhileExecuting_IsAnUncertainPulse_AndTheBenchIsSafe()
    {
        await using var rig = await Benches.B1500Async(wrapWgfmu: w => FaultingWgfmu.Wrap(w, nameof(IWgfmu.Execute)));
        var cell = new CellAddress(2, 1);

        var error = await Assert.ThrowsAsync<UncertainPulseException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Reset, AmplitudeV = 1.2, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(cell, error.Cell);
        Assert.Null(error.Applied);
        Assert.Equal("WGFMU pulse to -1.2 V, 0.001 s FWHM", error.Operation);
        var uncertain = Assert.IsType<UncertainOutcomeException>(error.InnerException);
        Assert.Equal("WGFMU_execute", uncertain.Command);
        Assert.Equal(-5, Assert.IsType<WgfmuException>(uncertain.InnerException).Status);
        Assert.True(rig.B1500!.IsSafe);
        Assert.Empty(rig.B1500.Matrix.ClosedChannels);
    }
}
