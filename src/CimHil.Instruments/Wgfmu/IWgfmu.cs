namespace CimHil.Instruments.Wgfmu;

/// <summary>WGFMU channel operation modes (B1530A user's guide, WGFMU_setOperationMode).</summary>
public enum WgfmuOperationMode
{
    /// <summary>DC output, measurement with the DC ranges.</summary>
    Dc,

    /// <summary>Arbitrary waveform output with current or voltage sampling (the mode used for pulsed program/read).</summary>
    FastIv,

    /// <summary>Pulse generator: 50 Ω output, voltage sampling only.</summary>
    PulseGenerator,

    /// <summary>The channel's SMU pass-through path (the RSU connects the B1500 SMU instead of the WGFMU).</summary>
    Smu,
}

/// <summary>WGFMU force voltage ranges (WGFMU_setForceVoltageRange).</summary>
public enum WgfmuForceVoltageRange
{
    Auto,
    Range3V,
    Range5V,
    Range10VNegative,
    Range10VPositive,
}

/// <summary>What a WGFMU channel samples (WGFMU_setMeasureMode).</summary>
public enum WgfmuMeasureMode
{
    Voltage,
    Current,
}

/// <summary>WGFMU current measurement ranges (WGFMU_setMeasureCurrentRange).</summary>
public enum WgfmuMeasureCurrentRange
{
    Range1uA,
    Range10uA,
    Range100uA,
    Range1mA,
    Range10mA,
}

/// <summary>Whether a measure event returns every sample or their average (WGFMU_setMeasureEvent rawData argument).</summary>
public enum WgfmuMeasureEventMode
{
    Averaged,
    Raw,
}

/// <summary>One sample returned by WGFMU_getMeasureValues: time from the start of the sequence and the measured value (A or V).</summary>
public readonly record struct WgfmuSample(double TimeSeconds, double Value);

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

/// <summary>A WGFMU library call returned a non-zero status; carries the function, the status and the library's error text.</summary>
public sealed class WgfmuException(string resource, string function, int status, string detail)
    : InstrumentException(resource, $"{resource}: {function} failed with WGFMU status {status}: {detail}")
{
    public string Function { get; } = function;

    public int Status { get; } = status;

    public string Detail { get; } = detail;
}
