using System.Runtime.InteropServices;

namespace CimHil.Instruments.Wgfmu;

/// <summary>
/// The subset of the B1530A instrument library C API (wgfmu.h) that <see cref="WgfmuLibrary"/> calls. Every function
/// returns an int status (0 = WGFMU_NO_ERROR). wgfmu.h declares them <c>_stdcall</c>, which is the platform default
/// on 64-bit Windows and on Linux, so no explicit calling convention is needed. The logical name "wgfmu" is mapped
/// to the installed file by <see cref="WgfmuLibrary"/> through the assembly's native-library resolver.
/// Constants: wgfmu.h "API Return Value - Error Code" and the *_OFFSET blocks (e.g. WGFMU_OPERATION_MODE_OFFSET = 2000),
/// as reproduced by the public bindings ilev-sergey/keysight-b1530a (src/keysight_b1530a/enums.py) and the B1530A
/// sample headers.
/// </summary>
internal static partial class WgfmuInterop
{
    public const string LibraryName = "wgfmu";

    public const int NoError = 0;
    public const int ParameterOutOfRangeError = -1;
    public const int CommunicationError = -5;

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_openSession", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OpenSession(string address);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_closeSession")]
    public static partial int CloseSession();

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_initialize")]
    public static partial int Initialize();

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_clear")]
    public static partial int Clear();

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_setTimeout")]
    public static partial int SetTimeout(double timeout);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_getErrorSize")]
    public static partial int GetErrorSize(out int size);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_getError")]
    public static unsafe partial int GetError(byte* error, ref int size);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_getChannelIdSize")]
    public static partial int GetChannelIdSize(out int size);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_getChannelIds")]
    public static unsafe partial int GetChannelIds(int* channelIds, ref int size);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_setOperationMode")]
    public static partial int SetOperationMode(int channelId, int operationMode);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_setForceVoltageRange")]
    public static partial int SetForceVoltageRange(int channelId, int forceVoltageRange);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_setMeasureMode")]
    public static partial int SetMeasureMode(int channelId, int measureMode);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_setMeasureCurrentRange")]
    public static partial int SetMeasureCurrentRange(int channelId, int measureCurrentRange);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_createPattern", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int CreatePattern(string patternName, double initialVoltage);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_addVector", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int AddVector(string patternName, double deltaTime, double voltage);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_setMeasureEvent", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int SetMeasureEvent(string patternName, string eventName, double time, int measurementPoints, double measurementInterval, double averagingTime, int rawData);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_addSequence", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int AddSequence(int channelId, string patternName, double loopCount);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_connect")]
    public static partial int Connect(int channelId);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_disconnect")]
    public static partial int Disconnect(int channelId);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_execute")]
    public static partial int Execute();

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_waitUntilCompleted")]
    public static partial int WaitUntilCompleted();

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_getMeasureValueSize")]
    public static partial int GetMeasureValueSize(int channelId, out int measuredSize, out int totalSize);

    [LibraryImport(LibraryName, EntryPoint = "WGFMU_getMeasureValues")]
    public static unsafe partial int GetMeasureValues(int channelId, int offset, ref int size, double* measureTimes, double* measureValues);

    /// <summary>WGFMU_OPERATION_MODE_DC/FASTIV/PG/SMU = 2000..2003.</summary>
    public static int Code(WgfmuOperationMode mode) => mode switch
    {
        WgfmuOperationMode.Dc => 2000,
        WgfmuOperationMode.FastIv => 2001,
        WgfmuOperationMode.PulseGenerator => 2002,
        WgfmuOperationMode.Smu => 2003,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown WGFMU operation mode"),
    };

    /// <summary>WGFMU_FORCE_VOLTAGE_RANGE_AUTO/3V/5V/10V_NEGATIVE/10V_POSITIVE = 3000..3004.</summary>
    public static int Code(WgfmuForceVoltageRange range) => range switch
    {
        WgfmuForceVoltageRange.Auto => 3000,
        WgfmuForceVoltageRange.Range3V => 3001,
        WgfmuForceVoltageRange.Range5V => 3002,
        WgfmuForceVoltageRange.Range10VNegative => 3003,
        WgfmuForceVoltageRange.Range10VPositive => 3004,
        _ => throw new ArgumentOutOfRangeException(nameof(range), range, "unknown WGFMU force voltage range"),
    };

    /// <summary>WGFMU_MEASURE_MODE_VOLTAGE/CURRENT = 4000, 4001.</summary>
    public static int Code(WgfmuMeasureMode mode) => mode switch
    {
        WgfmuMeasureMode.Voltage => 4000,
        WgfmuMeasureMode.Current => 4001,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown WGFMU measure mode"),
    };

    /// <summary>WGFMU_MEASURE_CURRENT_RANGE_1UA/10UA/100UA/1MA/10MA = 6001..6005.</summary>
    public static int Code(WgfmuMeasureCurrentRange range) => range switch
    {
        WgfmuMeasureCurrentRange.Range1uA => 6001,
        WgfmuMeasureCurrentRange.Range10uA => 6002,
        WgfmuMeasureCurrentRange.Range100uA => 6003,
        WgfmuMeasureCurrentRange.Range1mA => 6004,
        WgfmuMeasureCurrentRange.Range10mA => 6005,
        _ => throw new ArgumentOutOfRangeException(nameof(range), range, "unknown WGFMU current range"),
    };

    /// <summary>WGFMU_MEASURE_EVENT_DATA_AVERAGED/RAW = 12000, 12001.</summary>
    public static int Code(WgfmuMeasureEventMode mode) => mode switch
    {
        WgfmuMeasureEventMode.Averaged => 12000,
        WgfmuMeasureEventMode.Raw => 12001,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown WGFMU measure event mode"),
    };
}
