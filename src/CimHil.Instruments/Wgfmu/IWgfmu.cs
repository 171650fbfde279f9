namespace CimHil.Instruments.Wgfmu;

/// <summary>
/// The Keysight B1530A WGFMU instrument library, the only documented interface of the WGFMU (its mainframe wire protocol
/// is not public). One method per C function of wgfmu.h that CimHil uses; names and argument order follow the library.
/// Implementations throw <see cref="WgfmuException"/> for any non-zero status. Calls block like the C library does.
/// </summary>
public interface IWgfmu : IDisposable
{
    /// <summary>WGFMU_openSession: opens the B1500 at a VISA address (for example <c>GPIB0::17::INSTR</c>).</summary>
    void OpenSession(string address);

    /// <summary>WGFMU_closeSession.</summary>
    void CloseSession();

    /// <summary>WGFMU_initialize: resets every WGFMU channel (outputs 0 V, relays open).</summary>
    void Initialize();

    /// <summary>WGFMU_clear: forgets patterns, sequences and measured data held by the library.</summary>
    void Clear();

    /// <summary>WGFMU_setTimeout: the library's timeout for waitUntilCompleted and data transfer.</summary>
    void SetTimeout(double seconds);

    /// <summary>WGFMU_getChannelIdSize + WGFMU_getChannelIds: the installed channels (slot × 100 + channel, e.g. 101, 102).</summary>
    IReadOnlyList<int> GetChannelIds();

    void SetOperationMode(int channelId, WgfmuOperationMode mode);

    void SetForceVoltageRange(int channelId, WgfmuForceVoltageRange range);

    void SetMeasureMode(int channelId, WgfmuMeasureMode mode);

    void SetMeasureCurrentRange(int channelId, WgfmuMeasureCurrentRange range);

    /// <summary>WGFMU_createPattern: a new waveform that starts at <paramref name="initialVoltageV"/>.</summary>
    void CreatePattern(string pattern, double initialVoltageV);

    /// <summary>WGFMU_addVector: ramp linearly to <paramref name="voltageV"/> over <paramref name="deltaTimeSeconds"/>.</summary>
    void AddVector(string pattern, double deltaTimeSeconds, double voltageV);

    /// <summary>WGFMU_setMeasureEvent: sample <paramref name="points"/> times every <paramref name="intervalSeconds"/> from <paramref name="startTimeSeconds"/> into the pattern.</summary>
    void SetMeasureEvent(string pattern, string eventName, double startTimeSeconds, int points, double intervalSeconds, double averageSeconds, WgfmuMeasureEventMode mode);

    /// <summary>WGFMU_addSequence: play <paramref name="pattern"/> <paramref name="count"/> times on the channel.</summary>
    void AddSequence(int channelId, string pattern, double count);

    /// <summary>WGFMU_connect: closes the channel's output relay (RSU).</summary>
    void Connect(int channelId);

    /// <summary>WGFMU_disconnect: opens the channel's output relay.</summary>
    void Disconnect(int channelId);

    /// <summary>WGFMU_execute: starts every channel's sequence at once.</summary>
    void Execute();

    /// <summary>WGFMU_waitUntilCompleted.</summary>
    void WaitUntilCompleted();

    /// <summary>WGFMU_getMeasureValueSize: samples measured so far and samples the sequence will produce.</summary>
    (int Measured, int Total) GetMeasureValueSize(int channelId);

    /// <summary>WGFMU_getMeasureValues: <paramref name="count"/> samples starting at <paramref name="offset"/>.</summary>
    IReadOnlyList<WgfmuSample> GetMeasureValues(int channelId, int offset, int count);
}
