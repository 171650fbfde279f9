using CimHil.Instruments.Wgfmu;
using CimHil.Tests.Shared;

namespace CimHil.Instruments.Tests.Wgfmu;

/// <summary>The vendor library (and so the stand-in) holds one session per process: these tests never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WgfmuSessionCollection
{
    public const string Name = "WGFMU session";
}

/// <summary>
/// <see cref="WgfmuLibrary"/> through the real P/Invoke declarations into the gcc-built stand-in, which forwards every
/// call over loopback TCP to a scripted far end: the exact call lines and the marshalling of every output are asserted.
/// </summary>
[Collection(WgfmuSessionCollection.Name)]
public sealed class WgfmuLibraryTests : IDisposable
{
    private readonly ScriptedWgfmuServer _server = new();
    private readonly WgfmuLibrary _wgfmu = new(WgfmuStandIn.LibraryPath);

    // xunit 2 disposes test classes through IDisposable only.
    public void Dispose()
    {
        _wgfmu.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Fact]
    public void EveryCall_SendsItsDocumentedLine_AndMarshalsTheOutputs()
    {
        _server.Reply("WGFMU_getChannelIdSize", "0 2");
        _server.Reply("WGFMU_getChannelIds", "0 2 101 102");
        _server.Reply("WGFMU_getMeasureValueSize", "0 3 3");
        _server.Reply("WGFMU_getMeasureValues", "0 3 1.0000000000000001e-06 1.2345678901234567e-05 2e-06 -2.5e-07 3e-06 0.10000000000000001");

        _wgfmu.OpenSession(_server.Address);
        _wgfmu.SetTimeout(12.5);
        _wgfmu.Initialize();
        _wgfmu.Clear();
        var channels = _wgfmu.GetChannelIds();
        _wgfmu.SetOperationMode(101, WgfmuOperationMode.FastIv);
        _wgfmu.SetForceVoltageRange(101, WgfmuForceVoltageRange.Range10VPositive);
        _wgfmu.SetMeasureMode(102, WgfmuMeasureMode.Current);
        _wgfmu.SetMeasureCurrentRange(102, WgfmuMeasureCurrentRange.Range100uA);
        _wgfmu.CreatePattern("pulse", 0);
        _wgfmu.AddVector("pulse", 1e-7, 1.5);
        _wgfmu.AddVector("pulse", 0.1, -0.3);
        _wgfmu.SetMeasureEvent("pulse", "read", 1e-6, 3, 1e-6, 5e-7, WgfmuMeasureEventMode.Averaged);
        _wgfmu.AddSequence(102, "pulse", 1);
        _wgfmu.Connect(101);
        _wgfmu.Disconnect(101);
        _wgfmu.Execute();
        _wgfmu.WaitUntilCompleted();
        var size = _wgfmu.GetMeasureValueSize(102);
        var samples = _wgfmu.GetMeasureValues(102, 0, 3);
        _wgfmu.CloseSession();

        Assert.Equal(
        [
            $"WGFMU_openSession \"{_server.Address}\"",
            "WGFMU_setTimeout 12.5",
            "WGFMU_initialize",
            "WGFMU_clear",
            "WGFMU_getChannelIdSize",
            "WGFMU_getChannelIds 2",
            "WGFMU_setOperationMode 101 2001",
            "WGFMU_setForceVoltageRange 101 3004",
            "WGFMU_setMeasureMode 102 4001",
            "WGFMU_setMeasureCurrentRange 102 6003",
            "WGFMU_createPattern \"pulse\" 0",
            "WGFMU_addVector \"pulse\" 9.9999999999999995e-08 1.5",
            "WGFMU_addVector \"pulse\" 0.10000000000000001 -0.29999999999999999",
            "WGFMU_setMeasureEvent \"pulse\" \"read\" 9.9999999999999995e-07 3 9.9999999999999995e-07 4.9999999999999998e-07 12000",
            "WGFMU_addSequence 102 \"pulse\" 1",
            "WGFMU_connect 101",
            "WGFMU_disconnect 101",
            "WGFMU_execute",
            "WGFMU_waitUntilCompleted",
            "WGFMU_getMeasureValueSize 102",
            "WGFMU_getMeasureValues 102 0 3",
            "WGFMU_closeSession",
        ], _server.Received);
        Assert.Equal([101, 102], channels);
        Assert.Equal((3, 3), size);
        Assert.Equal(
        [
            new WgfmuSample(1.0000000000000001e-06, 1.2345678901234567e-05),
            new WgfmuSample(2e-06, -2.5e-07),
            new WgfmuSample(3e-06, 0.10000000000000001),
        ], samples);
    }

    [Fact]
    public void NonZeroStatus_ThrowsWithTheLibrarysErrorText()
    {
        _wgfmu.OpenSession(_server.Address);
        _server.Fail("WGFMU_addSequence", -3, "WGFMU_addSequence: pattern \"nope\" is not defined");
        _server.ClearTranscript();

        var ex = Assert.Throws<WgfmuException>(() => _wgfmu.AddSequence(101, "nope", 1));

        Assert.Equal("WGFMU_addSequence", ex.Function);
        Assert.Equal(-3, ex.Status);
        Assert.Equal("WGFMU_addSequence: pattern \"nope\" is not defined", ex.Detail);
        Assert.Equal(_server.Address, ex.Resource);
        var errorSize = "WGFMU_addSequence: pattern \"nope\" is not defined".Length;
        Assert.Equal(["WGFMU_addSequence 101 \"nope\" 1", "WGFMU_getErrorSize", $"WGFMU_getError {errorSize + 1}"], _server.Received);
    }

    [Fact]
    public void PatternNameWithASpace_IsRefusedBeforeAnythingIsSent()
    {
        _wgfmu.OpenSession(_server.Address);
        _server.ClearTranscript();

        var ex = Assert.Throws<WgfmuException>(() => _wgfmu.CreatePattern("two words", 0));

        Assert.Equal(-1, ex.Status);
        Assert.Contains("\"two words\" contains a space", ex.Detail, StringComparison.Ordinal);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task SecondSession_IsRefusedWhileTheFirstIsOpen()
    {
        await using var other = new ScriptedWgfmuServer();
        using var second = new WgfmuLibrary(WgfmuStandIn.LibraryPath);
        _wgfmu.OpenSession(_server.Address);

        var ex = Assert.Throws<InstrumentException>(() => second.OpenSession(other.Address));

        Assert.Contains("one session per process", ex.Message, StringComparison.Ordinal);
        Assert.Contains(_server.Address, ex.Message, StringComparison.Ordinal);
        Assert.Empty(other.Received);
        _wgfmu.CloseSession();
        second.OpenSession(other.Address);
        Assert.Equal([$"WGFMU_openSession \"{other.Address}\""], other.Received);
    }

    [Fact]
    public void CallWithoutSession_SaysSo()
    {
        var ex = Assert.Throws<InstrumentException>(_wgfmu.Initialize);

        Assert.Contains("WGFMU_initialize called without an open WGFMU session", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingLibraryFile_NamesThePathAndTheSetting()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir", "libwgfmu.so");

        var ex = Assert.Throws<InstrumentException>(() => new WgfmuLibrary(missing));

        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
        Assert.Contains("chip.settings.wgfmuLibrary", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DroppedLink_IsACommunicationError()
    {
        _wgfmu.OpenSession(_server.Address);
        await _server.DisposeAsync();

        var ex = Assert.Throws<WgfmuException>(_wgfmu.Execute);

        Assert.Equal(-5, ex.Status);
        Assert.Contains("WGFMU_execute: the link to the WGFMU emulator failed", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenSession_OnlyAcceptsSocketAddresses_InTheStandIn()
    {
        var ex = Assert.Throws<WgfmuException>(() => _wgfmu.OpenSession("GPIB0::17::INSTR"));

        Assert.Equal(-1, ex.Status);
        Assert.Contains("TCPIP[n]::host::port::SOCKET", ex.Detail, StringComparison.Ordinal);
        _wgfmu.OpenSession(_server.Address);
    }
}
