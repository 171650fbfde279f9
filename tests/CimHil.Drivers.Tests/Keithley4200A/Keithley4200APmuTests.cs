using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Drivers.Keithley4200A;
using CimHil.Drivers.Tests.Support;

namespace CimHil.Drivers.Tests.Keithley4200A;

/// <summary>
/// The 4225-PMU path of keithley-4200a: pulsed reads (exact KXCI text), the PMU detected at connect, and pulses or read
/// pulses beyond the configured limits refused before anything is sent.
/// </summary>
public sealed class Keithley4200APmuTests
{
    [Fact]
    public async Task PulsedRead_SetsUpOneSpotMeanPulse_ExecutesIt_AndFetchesItsRecord()
    {
        await using var rig = await Benches.Keithley4200AAsync(", \"pmuChannel\": 1, \"readMode\": \"pmu\", \"readPulseWidthSeconds\": 2e-05");
        rig.Wire.Clear();

        var read = await rig.Chip.ReadCellAsync(new CellAddress(1, 2), 0.2, CancellationToken.None);

        Assert.Equal(
            Benches.Kxci(
                ":PMU:RPM:CONFIGURE PMU1-1, 0",
                ":PMU:MEASURE:MODE 1",
                ":PMU:MEASURE:PIV 1, 1, 0",
                ":PMU:TIMES:PIV 1, 0.75, 0.9",
                ":PMU:PULSE:TIMES 1, 4.0400000000000006E-05, 2E-05, 1E-07, 1E-07, 0", // 2 × (width + 2 edges), round-trip exact
                ":PMU:PULSE:LIMITS 1, 10, 0.0005, 0.005",
                ":PMU:PULSE:TRAIN 1, 0, 0.2",
                ":PMU:OUTPUT:STATE 1, 1",
                ":PMU:EXECUTE",
                ":PMU:TEST:STATUS?",
                ":PMU:DATA:GET 1, 0, 1",
                ":PMU:OUTPUT:STATE 1, 0"),
            rig.Wire.Sent(rig.Resources[0]));
        var expectedA = rig.Backing.TrueConductanceS(new CellAddress(1, 2)) * 0.2;
        Assert.InRange(read.CurrentA, 0.95 * expectedA, 1.05 * expectedA);
        Assert.Equal(1, rig.K4200A!.Analyzer.PulsedReads);
        Assert.Equal(0, rig.K4200A.PulsesApplied);
        Assert.True(rig.K4200A.Analyzer.PmuOutputsOff);
    }

    [Fact]
    public async Task AutoPmu_Detected_InitialisesItAndSwitchesItsOutputOff_AndPulsesGoThroughIt()
    {
        await using var rig = await Benches.Keithley4200AAsync(", \"pmuChannel\": \"auto\"");

        Assert.Equal(Benches.Kxci("*IDN?", "*RST", ":ERROR:LAST:CLEAR", "US", ":PMU:INIT 0", ":PMU:OUTPUT:STATE 1, 0"), rig.Wire.Sent(rig.Resources[0]));
        Assert.Equal(1, ((Keithley4200AChip)rig.Chip).PmuChannel);
        await rig.Chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.5, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None);
        Assert.Equal(1, rig.K4200A!.PulsesApplied);
    }

    [Fact]
    public async Task AutoPmu_NotInstalled_TheRefusalIsReadAndCleared_PulsesAreRefused_ReadsUseTheSmu()
    {
        await using var rig = await Benches.Keithley4200AAsync(", \"pmuChannel\": \"auto\"", pmuInstalled: false);

        Assert.Equal(Benches.Kxci("*IDN?", "*RST", ":ERROR:LAST:CLEAR", "US", ":PMU:INIT 0", ":ERROR:LAST:GET", ":ERROR:LAST:CLEAR"), rig.Wire.Sent(rig.Resources[0]));
        Assert.Null(((Keithley4200AChip)rig.Chip).PmuChannel);
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => rig.Chip.ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.5, WidthSeconds = 1e-3, ComplianceA = 1e-4 }, CancellationToken.None));
        rig.Wire.Clear();
        var read = await rig.Chip.ReadCellAsync(new CellAddress(1, 1), 0.2, CancellationToken.None);
        Assert.True(double.IsFinite(read.CurrentA));
        Assert.Equal(Benches.Kxci("DV1, 0, 0.2, 0.0005", "TI1", "DV1"), rig.Wire.Sent(rig.Resources[0]));
    }

    [Fact]
    public async Task PulsedReadsWithoutAPmuPresent_AreRefusedAtConnect_NamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<ConfigException>(() => Benches.Keithley4200AAsync(", \"pmuChannel\": \"auto\", \"readMode\": \"pmu\"", pmuInstalled: false));

        Assert.Contains("chip.settings.readMode", error.Message, StringComparison.Ordinal);
        Assert.Contains(":PMU:INIT 0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PulsedReadsWithoutPmuChannel_AreRefusedAtConfigLoad()
    {
        var config = Benches.Config("keithley-4200a", """{ "analyzer": "TCPIP0::127.0.0.1::1225::SOCKET", "matrix": "TCPIP0::127.0.0.1::5025::SOCKET", "rows": 4, "columns": 4, "readMode": "pmu" }""");

        var error = Assert.Throws<ConfigException>(() => new Keithley4200ADriver().Parse(config.Chip.Settings));

        Assert.Contains("chip.settings.readMode", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadPulseLongerThanTheConfiguredMaximumWidth_IsRefusedBeforeAnythingIsOpened()
    {
        // Benches.Limits allow pulses up to 10 ms: a 20 ms read pulse is refused at connect, before any message.
        var error = await Assert.ThrowsAsync<ConfigException>(() => Benches.Keithley4200AAsync(", \"pmuChannel\": 1, \"readMode\": \"pmu\", \"readPulseWidthSeconds\": 0.02"));

        Assert.Contains("chip.settings.readPulseWidthSeconds: 0.02 s exceeds chip.safety.maxPulseWidthSeconds 0.01 s", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3.5, 1e-3)] // beyond chip.safety.maxSetVoltageV 3 V
    [InlineData(1.5, 20e-3)] // beyond chip.safety.maxPulseWidthSeconds 10 ms
    [InlineData(1.5, 0.5e-3)] // below chip.safety.minPulseWidthSeconds 1 ms
    public async Task PmuPulseBeyondTheConfiguredLimit_IsRefusedBeforeAnythingIsSent(double amplitudeV, double widthSeconds)
    {
        await using var rig = await Benches.Keithley4200AAsync();
        var sent = rig.Wire.WriteCount;

        await Assert.ThrowsAsync<SafetyLimitException>(() => new SafeChip(rig.Chip, Benches.Limits).ApplyPulseAsync(new CellAddress(1, 1), new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = amplitudeV, WidthSeconds = widthSeconds, ComplianceA = 1e-4 }, CancellationToken.None));

        Assert.Equal(sent, rig.Wire.WriteCount);
        Assert.Equal(0, rig.K4200A!.PulsesApplied);
        Assert.Equal(0.0, rig.K4200A.Analyzer.MaxAbsVoltageV);
    }
}
