using CimHil.Instruments.Wgfmu;

namespace CimHil.Instruments.Tests.Wgfmu;

/// <summary>The B1530A wrapper's library calls, in order, against a scripted library.</summary>
public sealed class B1530AProtocolTests
{
    private static readonly WgfmuWaveform Read = new()
    {
        Pattern = "read",
        LevelV = 0.2,
        RampSeconds = 1e-7,
        FlatSeconds = 1.1e-5,
        ForceRange = WgfmuForceVoltageRange.Range3V,
        CurrentRange = WgfmuMeasureCurrentRange.Range100uA,
        SampleAtSeconds = 1.1e-6,
        AverageSeconds = 1e-5,
    };

    [Fact]
    public void Channels_AreSlotTimesHundredPlusOneAndTwo()
    {
        var wgfmu = new B1530A(new ScriptedWgfmu([301, 302]), "GPIB0::17::INSTR", 3);

        Assert.Equal((301, 302), (wgfmu.Channel1, wgfmu.Channel2));
    }

    [Fact]
    public async Task OpenSession_ThenConfigureFastIv()
    {
        var library = new ScriptedWgfmu([101, 102]);
        var wgfmu = new B1530A(library, "GPIB0::17::INSTR", 1);

        var channels = await wgfmu.OpenSessionAsync("GPIB0::17::INSTR", CancellationToken.None);
        await wgfmu.ConfigureFastIvAsync(2, CancellationToken.None);

        Assert.Equal([101, 102], channels);
        Assert.Equal(
        [
            "WGFMU_openSession \"GPIB0::17::INSTR\"", "WGFMU_getChannelIds", "WGFMU_setTimeout 2", "WGFMU_initialize",
            "WGFMU_setOperationMode 101 FastIv", "WGFMU_setOperationMode 102 FastIv", "WGFMU_setMeasureMode 102 Current",
        ], library.Calls);
    }

    [Fact]
    public async Task Load_BuildsTheWaveformPairAndItsSample()
    {
        var library = new ScriptedWgfmu([101, 102]);

        await new B1530A(library, "w", 1).LoadAsync(Read, CancellationToken.None);

        Assert.Equal(
        [
            "WGFMU_clear", "WGFMU_setForceVoltageRange 101 Range3V", "WGFMU_setForceVoltageRange 102 Range3V", "WGFMU_setMeasureCurrentRange 102 Range100uA",
            "WGFMU_createPattern \"read\" 0", "WGFMU_addVector \"read\" 1E-07 0.2", "WGFMU_addVector \"read\" 1.1E-05 0.2", "WGFMU_addVector \"read\" 1E-07 0",
            "WGFMU_createPattern \"hold\" 0", "WGFMU_addVector \"hold\" 1.12E-05 0", "WGFMU_setMeasureEvent \"hold\" \"current\" 1.1E-06 1 1E-05 1E-05 Averaged",
            "WGFMU_addSequence 101 \"read\" 1", "WGFMU_addSequence 102 \"hold\" 1",
        ], library.Calls);
    }

    [Fact]
    public async Task Load_WithoutASample_SetsNoMeasureEvent()
    {
        var library = new ScriptedWgfmu([101, 102]);

        await new B1530A(library, "w", 1).LoadAsync(Read with { SampleAtSeconds = null }, CancellationToken.None);

        Assert.DoesNotContain(library.Calls, c => c.StartsWith("WGFMU_setMeasureEvent", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Play_ConnectsExecutesSamplesAndDisconnects()
    {
        var library = new ScriptedWgfmu([101, 102], sampleA: -2.5e-5);

        var sample = await new B1530A(library, "w", 1).PlayAsync(sample: true, CancellationToken.None);

        Assert.Equal(-2.5e-5, sample);
        Assert.Equal(
        [
            "WGFMU_connect 101", "WGFMU_connect 102", "WGFMU_execute", "WGFMU_waitUntilCompleted",
            "WGFMU_getMeasureValueSize 102", "WGFMU_getMeasureValues 102 0 1", "WGFMU_disconnect 101", "WGFMU_disconnect 102",
        ], library.Calls);
    }

    [Theory]
    [InlineData("WGFMU_execute")]
    [InlineData("WGFMU_waitUntilCompleted")]
    public async Task Play_ACommunicationErrorWhileTheSequenceRuns_IsAnUncertainOutcome(string function)
    {
        var library = new ScriptedWgfmu([101, 102]) { Fail = (function, -5) };

        var error = await Assert.ThrowsAsync<UncertainOutcomeException>(() => new B1530A(library, "w", 1).PlayAsync(sample: false, CancellationToken.None));

        Assert.Equal(function, error.Command);
        Assert.Equal(-5, Assert.IsType<WgfmuException>(error.InnerException).Status);
    }

    [Fact]
    public async Task Play_AContextError_IsCertain_AndStaysAWgfmuException()
    {
        var library = new ScriptedWgfmu([101, 102]) { Fail = ("WGFMU_execute", -3) };

        var error = await Assert.ThrowsAsync<WgfmuException>(() => new B1530A(library, "w", 1).PlayAsync(sample: false, CancellationToken.None));

        Assert.Equal(-3, error.Status);
    }

    [Fact]
    public async Task Reset_InitialisesAndDisconnectsBothChannels()
    {
        var library = new ScriptedWgfmu([101, 102]);

        await new B1530A(library, "w", 1).ResetAsync(CancellationToken.None);

        Assert.Equal(["WGFMU_initialize", "WGFMU_disconnect 101", "WGFMU_disconnect 102"], library.Calls);
    }
}
