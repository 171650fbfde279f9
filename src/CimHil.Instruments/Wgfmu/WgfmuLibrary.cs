using System.Runtime.InteropServices;
using System.Text;
using CimHil.Instruments.Interop;

namespace CimHil.Instruments.Wgfmu;

/// <summary>
/// <see cref="IWgfmu"/> over the installed B1530A instrument library (<c>wgfmu.dll</c> on Windows; a
/// <c>libwgfmu.so</c> on Linux, which in CI is the stand-in of docs/wgfmu-standin.md) through P/Invoke.
/// The vendor library keeps one global session per process, so every call is serialised by one process-wide lock
/// and a second session is refused while one is open.
/// </summary>
public sealed class WgfmuLibrary : IWgfmu
{
    /// <summary>Environment variable naming the WGFMU library file to load when no path is configured.</summary>
    public const string PathVariable = "CIMHIL_WGFMU_LIBRARY";

    // Large transfers are fetched in chunks so one getMeasureValues never needs a huge pinned buffer.
    private const int ChunkSamples = 65_536;

    private static readonly Lock Gate = new();
    private static string? _configuredPath;
    private static IntPtr _handle;
    private static string? _loadedFrom;
    private static bool _resolverInstalled;
    private static WgfmuLibrary? _sessionOwner;

    private string? _address;
    private bool _disposed;

    /// <summary>Uses <paramref name="libraryPath"/> when given, else $CIMHIL_WGFMU_LIBRARY, else <see cref="Candidates"/>.</summary>
    public WgfmuLibrary(string? libraryPath = null)
    {
        lock (Gate)
        {
            if (libraryPath is not null)
            {
                // A path (not a bare file name the loader searches for) must exist: say so before any call fails obscurely.
                if (Path.IsPathRooted(libraryPath) || libraryPath.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    if (!File.Exists(libraryPath))
                    {
                        throw new InstrumentException("WGFMU",
                            $"the WGFMU library file {libraryPath} does not exist; fix chip.settings.wgfmuLibrary (or ${PathVariable}) to name the installed B1530A instrument library");
                    }
                }

                if (_handle != IntPtr.Zero && !string.Equals(libraryPath, _loadedFrom, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"the WGFMU library is already loaded from {_loadedFrom}; a process loads one WGFMU library, cannot switch to {libraryPath}");
                }

                _configuredPath = libraryPath;
            }

            if (!_resolverInstalled)
            {
                NativeLibraryResolver.Register(WgfmuInterop.LibraryName, Resolve);
                _resolverInstalled = true;
            }
        }
    }

    /// <summary>The file names tried in order when neither a path nor $CIMHIL_WGFMU_LIBRARY is given.</summary>
    public static IReadOnlyList<string> Candidates { get; } = OperatingSystem.IsWindows()
        ? ["wgfmu.dll"]
        : ["libwgfmu.so", "libwgfmu.so.0"];

    /// <summary>The file the library was loaded from, or null before the first call.</summary>
    public static string? LoadedFrom
    {
        get
        {
            lock (Gate)
            {
                return _loadedFrom;
            }
        }
    }

    private string Resource => _address ?? "WGFMU";

    public void OpenSession(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        lock (Gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sessionOwner is not null)
            {
                throw new InstrumentException(address,
                    $"{address}: the WGFMU library holds one session per process and one is already open to {_sessionOwner._address}; close it first");
            }

            _address = address;
            Check(Invoke(() => WgfmuInterop.OpenSession(address)), "WGFMU_openSession");
            _sessionOwner = this;
        }
    }

    public void CloseSession()
    {
        lock (Gate)
        {
            if (!ReferenceEquals(_sessionOwner, this))
            {
                return;
            }

            _sessionOwner = null;
            Check(Invoke(WgfmuInterop.CloseSession), "WGFMU_closeSession");
        }
    }

    public void Initialize() => Call(WgfmuInterop.Initialize, "WGFMU_initialize");

    public void Clear() => Call(WgfmuInterop.Clear, "WGFMU_clear");

    public void SetTimeout(double seconds) => Call(() => WgfmuInterop.SetTimeout(seconds), "WGFMU_setTimeout");

    public unsafe IReadOnlyList<int> GetChannelIds()
    {
        lock (Gate)
        {
            RequireSession("WGFMU_getChannelIds");
            var size = 0;
            Check(Invoke(() => WgfmuInterop.GetChannelIdSize(out size)), "WGFMU_getChannelIdSize");
            var ids = new int[Math.Max(size, 0)];
            var returned = ids.Length;
            fixed (int* p = ids)
            {
                var pointer = p;
                Check(Invoke(() => WgfmuInterop.GetChannelIds(pointer, ref returned)), "WGFMU_getChannelIds");
            }

            return ids[..Math.Clamp(returned, 0, ids.Length)];
        }
    }

    public void SetOperationMode(int channelId, WgfmuOperationMode mode)
    {
        var code = WgfmuInterop.Code(mode);
        Call(() => WgfmuInterop.SetOperationMode(channelId, code), "WGFMU_setOperationMode");
    }

    public void SetForceVoltageRange(int channelId, WgfmuForceVoltageRange range)
    {
        var code = WgfmuInterop.Code(range);
        Call(() => WgfmuInterop.SetForceVoltageRange(channelId, code), "WGFMU_setForceVoltageRange");
    }

    public void SetMeasureMode(int channelId, WgfmuMeasureMode mode)
    {
        var code = WgfmuInterop.Code(mode);
        Call(() => WgfmuInterop.SetMeasureMode(channelId, code), "WGFMU_setMeasureMode");
    }

    public void SetMeasureCurrentRange(int channelId, WgfmuMeasureCurrentRange range)
    {
        var code = WgfmuInterop.Code(range);
        Call(() => WgfmuInterop.SetMeasureCurrentRange(channelId, code), "WGFMU_setMeasureCurrentRange");
    }

    public void CreatePattern(string pattern, double initialVoltageV) =>
        Call(() => WgfmuInterop.CreatePattern(pattern, initialVoltageV), "WGFMU_createPattern");

    public void AddVector(string pattern, double deltaTimeSeconds, double voltageV) =>
        Call(() => WgfmuInterop.AddVector(pattern, deltaTimeSeconds, voltageV), "WGFMU_addVector");

    public void SetMeasureEvent(string pattern, string eventName, double startTimeSeconds, int points, double intervalSeconds, double averageSeconds, WgfmuMeasureEventMode mode)
    {
        var code = WgfmuInterop.Code(mode);
        Call(() => WgfmuInterop.SetMeasureEvent(pattern, eventName, startTimeSeconds, points, intervalSeconds, averageSeconds, code), "WGFMU_setMeasureEvent");
    }

    public void AddSequence(int channelId, string pattern, double count) =>
        Call(() => WgfmuInterop.AddSequence(channelId, pattern, count), "WGFMU_addSequence");

    public void Connect(int channelId) => Call(() => WgfmuInterop.Connect(channelId), "WGFMU_connect");

    public void Disconnect(int channelId) => Call(() => WgfmuInterop.Disconnect(channelId), "WGFMU_disconnect");

    public void Execute() => Call(WgfmuInterop.Execute, "WGFMU_execute");

    public void WaitUntilCompleted() => Call(WgfmuInterop.WaitUntilCompleted, "WGFMU_waitUntilCompleted");

    public (int Measured, int Total) GetMeasureValueSize(int channelId)
    {
        int measured = 0, total = 0;
        Call(() => WgfmuInterop.GetMeasureValueSize(channelId, out measured, out total), "WGFMU_getMeasureValueSize");
        return (measured, total);
    }

    public unsafe IReadOnlyList<WgfmuSample> GetMeasureValues(int channelId, int offset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (Gate)
        {
            RequireSession("WGFMU_getMeasureValues");
            var samples = new List<WgfmuSample>(count);
            var times = new double[Math.Min(count, ChunkSamples)];
            var values = new double[times.Length];
            while (samples.Count < count)
            {
                var requested = Math.Min(count - samples.Count, ChunkSamples);
                var returned = requested;
                var at = offset + samples.Count;
                fixed (double* t = times)
                fixed (double* v = values)
                {
                    var (tp, vp) = ((IntPtr)t, (IntPtr)v);
                    Check(Invoke(() => WgfmuInterop.GetMeasureValues(channelId, at, ref returned, (double*)tp, (double*)vp)), "WGFMU_getMeasureValues");
                }

                if (returned <= 0 || returned > requested)
                {
                    // The library reports how many it copied; fewer than asked means the data is not there (yet).
                    throw new WgfmuException(Resource, "WGFMU_getMeasureValues", 0,
                        $"asked for {requested} samples of channel {channelId} from offset {at}, the library returned {returned}");
                }

                for (var i = 0; i < returned; i++)
                {
                    samples.Add(new WgfmuSample(times[i], values[i]));
                }
            }

            return samples;
        }
    }

    /// <summary>Closes the session if this instance holds it; errors while closing are swallowed (dispose must not throw).</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (ReferenceEquals(_sessionOwner, this))
            {
                _sessionOwner = null;
                try
                {
                    _ = WgfmuInterop.CloseSession();
                }
                catch (DllNotFoundException)
                {
                    // Nothing was loaded, so nothing is open.
                }
            }
        }
    }

    private void Call(Func<int> call, string function)
    {
        lock (Gate)
        {
            RequireSession(function);
            Check(Invoke(call), function);
        }
    }

    private void RequireSession(string function)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!ReferenceEquals(_sessionOwner, this))
        {
            throw new InstrumentException(Resource, $"{Resource}: {function} called without an open WGFMU session (call OpenSession first)");
        }
    }

    private int Invoke(Func<int> call)
    {
        try
        {
            return call();
        }
        catch (DllNotFoundException ex)
        {
            var tried = _configuredPath ?? (Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } env ? env : string.Join(", ", Candidates));
            throw new InstrumentException(Resource,
                $"{Resource}: the Keysight B1530A WGFMU instrument library could not be loaded (tried {tried}); install the B1530A instrument library, or name the file in chip.settings.wgfmuLibrary or ${PathVariable}",
                ex);
        }
    }

    // Any non-zero status: the library keeps the text of the last error, which getErrorSize/getError hand out.
    private unsafe void Check(int status, string function)
    {
        if (status == WgfmuInterop.NoError)
        {
            return;
        }

        var detail = $"no error text (status {status})";
        var size = 0;
        if (WgfmuInterop.GetErrorSize(out size) == WgfmuInterop.NoError && size > 0)
        {
            var buffer = new byte[size + 1];
            var length = buffer.Length;
            fixed (byte* p = buffer)
            {
                if (WgfmuInterop.GetError(p, ref length) == WgfmuInterop.NoError)
                {
                    detail = Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, size)).TrimEnd('\0');
                }
            }
        }

        throw new WgfmuException(Resource, function, status, detail);
    }

    private static IntPtr Resolve()
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero)
            {
                return _handle;
            }

            var env = Environment.GetEnvironmentVariable(PathVariable);
            IEnumerable<string> names = _configuredPath is not null ? [_configuredPath]
                : !string.IsNullOrEmpty(env) ? [env]
                : Candidates;
            foreach (var name in names)
            {
                if (NativeLibrary.TryLoad(name, out var handle))
                {
                    _handle = handle;
                    _loadedFrom = name;
                    return handle;
                }
            }

            return IntPtr.Zero;
        }
    }
}
