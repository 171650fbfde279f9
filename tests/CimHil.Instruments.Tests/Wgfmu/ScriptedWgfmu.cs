using System.Globalization;
using CimHil.Instruments.Wgfmu;

namespace CimHil.Instruments.Tests.Wgfmu;

/// <summary>
/// The WGFMU library played in memory: records every call as the stand-in library writes it (docs/wgfmu-standin.md), answers
/// the channel list and the measured samples, and fails a named call with a status. The scripted transport of the library.
/// </summary>
internal sealed class ScriptedWgfmu(IReadOnlyList<int> channels, double sampleA = 0) : IWgfmu
{
    private readonly List<string> _calls = [];

    public IReadOnlyList<string> Calls => _calls;

    /// <summary>The function that fails next, and with which status.</summary>
    public (string Function, int Status)? Fail { get; set; }

    public void OpenSession(string address) => Call($"WGFMU_openSession \"{address}\"");

    public void CloseSession() => Call("WGFMU_closeSession");

    public void Initialize() => Call("WGFMU_initialize");

    public void Clear() => Call("WGFMU_clear");

    public void SetTimeout(double seconds) => Call($"WGFMU_setTimeout {N(seconds)}");

    public IReadOnlyList<int> GetChannelIds()
    {
        Call("WGFMU_getChannelIds");
        return channels;
    }

    public void SetOperationMode(int channelId, WgfmuOperationMode mode) => Call($"WGFMU_setOperationMode {channelId} {mode}");

    public void SetForceVoltageRange(int channelId, WgfmuForceVoltageRange range) => Call($"WGFMU_setForceVoltageRange {channelId} {range}");

    public void SetMeasureMode(int channelId, WgfmuMeasureMode mode) => Call($"WGFMU_setMeasureMode {channelId} {mode}");

    public void SetMeasureCurrentRange(int channelId, WgfmuMeasureCurrentRange range) => Call($"WGFMU_setMeasureCurrentRange {channelId} {range}");

    public void CreatePattern(string pattern, double initialVoltageV) => Call($"WGFMU_createPattern \"{pattern}\" {N(initialVoltageV)}");

    public void AddVector(string pattern, double deltaTimeSeconds, double voltageV) => Call($"WGFMU_addVector \"{pattern}\" {N(deltaTimeSeconds)} {N(voltageV)}");

    public void SetMeasureEvent(string pattern, string eventName, double startTimeSeconds, int points, double intervalSeconds, double averageSeconds, WgfmuMeasureEventMode mode) =>
        Call($"WGFMU_setMeasureEvent \"{pattern}\" \"{eventName}\" {N(startTimeSeconds)} {points} {N(intervalSeconds)} {N(averageSeconds)} {mode}");

    public void AddSequence(int channelId, string pattern, double count) => Call($"WGFMU_addSequence {channelId} \"{pattern}\" {N(count)}");

    public void Connect(int channelId) => Call($"WGFMU_connect {channelId}");

    public void Disconnect(int channelId) => Call($"WGFMU_disconnect {channelId}");

    public void Execute() => Call("WGFMU_execute");

    public void WaitUntilCompleted() => Call("WGFMU_waitUntilCompleted");

    public (int Measured, int Total) GetMeasureValueSize(int channelId)
    {
        Call($"WGFMU_getMeasureValueSize {channelId}");
        return (1, 1);
    }

    public IReadOnlyList<WgfmuSample> GetMeasureValues(int channelId, int offset, int count)
    {
        Call($"WGFMU_getMeasureValues {channelId} {offset} {count}");
        return [new WgfmuSample(0, sampleA)];
    }

    public void Dispose()
    {
    }

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private void Call(string line)
    {
        _calls.Add(line);
        if (Fail is { } fail && line.StartsWith(fail.Function, StringComparison.Ordinal))
        {
            Fail = null;
            throw new WgfmuException("SCRIPT", fail.Function, fail.Status, "scripted fault");
        }
    }
}
