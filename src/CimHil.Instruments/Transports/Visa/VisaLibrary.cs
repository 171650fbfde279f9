using System.Runtime.InteropServices;
using System.Text;
using CimHil.Instruments.Interop;

namespace CimHil.Instruments.Transports.Visa;

/// <summary>
/// Locates and loads the installed VISA shared library (NI-VISA, Keysight IO Libraries, R&amp;S VISA) for the
/// P/Invoke declarations. Order: <see cref="Configure"/>, then $CIMHIL_VISA_LIBRARY, then the vendor names
/// below (the same places PyVISA's ivi backend looks).
/// </summary>
public static class VisaLibrary
{
    /// <summary>Environment variable naming the VISA library file to load.</summary>
    public const string PathVariable = "CIMHIL_VISA_LIBRARY";

    private static readonly Lock Gate = new();
    private static string? _configuredPath;
    private static IntPtr _handle;
    private static string? _loadedFrom;
    private static uint? _resourceManager;
    private static bool _resolverInstalled;

    /// <summary>The file names tried in order when nothing is configured.</summary>
    public static IReadOnlyList<string> Candidates { get; } = OperatingSystem.IsWindows()
        ? ["visa64.dll", "visa32.dll", "RsVisa64.dll", "ktvisa64.dll"]
        : OperatingSystem.IsMacOS()
            ? ["/Library/Frameworks/VISA.framework/VISA", "/Library/Frameworks/RsVisa.framework/RsVisa", "librsvisa.dylib"]
            : ["libvisa.so.0", "libvisa.so", "/usr/lib/x86_64-linux-gnu/libvisa.so.0", "/usr/local/vxipnp/linux/lib64/libvisa.so",
               "librsvisa.so", "/usr/lib/librsvisa.so", "libktvisa32.so.0", "/opt/keysight/iolibs/libktvisa32.so.0", "libiovisa.so"];

    /// <summary>The file the library was loaded from, or null before the first VISA call.</summary>
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

    /// <summary>Names the library file explicitly; must be called before the first VISA call (a process loads one VISA).</summary>
    public static void Configure(string path)
    {
        lock (Gate)
        {
            if (_handle != IntPtr.Zero && !string.Equals(path, _configuredPath, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"VISA is already loaded from {_loadedFrom}; cannot switch to {path} in the same process");
            }

            _configuredPath = path;
            InstallResolver();
        }
    }

    /// <summary>True when a VISA library can be loaded (without throwing).</summary>
    public static bool IsAvailable()
    {
        lock (Gate)
        {
            InstallResolver();
            return TryLoad(out _);
        }
    }

    /// <summary>Resource strings the VISA library finds for a pattern (viFindRsrc/viFindNext), e.g. <c>?*::INSTR</c>.</summary>
    public static unsafe IReadOnlyList<string> FindResources(string expression = "?*::INSTR")
    {
        var rm = ResourceManager();
        var buffer = stackalloc byte[VisaInterop.FindBufferLength];
        var status = VisaInterop.FindResource(rm, expression, out var list, out var count, buffer);
        if (status == VisaInterop.ErrorResourceNotFound)
        {
            return [];
        }

        ThrowIfError(status, $"viFindRsrc({expression})", 0);
        var found = new List<string>((int)count) { ReadCString(buffer) };
        for (var i = 1; i < count; i++)
        {
            ThrowIfError(VisaInterop.FindNext(list, buffer), "viFindNext", 0);
            found.Add(ReadCString(buffer));
        }

        _ = VisaInterop.Close(list);
        return found;
    }

    /// <summary>The process-wide default resource manager session (viOpenDefaultRM), opened once.</summary>
    internal static uint ResourceManager()
    {
        lock (Gate)
        {
            InstallResolver();
            if (_resourceManager is { } rm)
            {
                return rm;
            }

            if (!Environment.Is64BitProcess)
            {
                throw new PlatformNotSupportedException("the VISA transport is declared for 64-bit processes (ViAttrState is 64-bit)");
            }

            int status;
            try
            {
                status = VisaInterop.OpenDefaultRM(out var session);
                if (status >= 0)
                {
                    _resourceManager = session;
                    return session;
                }
            }
            catch (DllNotFoundException ex)
            {
                throw new DllNotFoundException(
                    $"no VISA library found (tried ${PathVariable} and {string.Join(", ", Candidates)}); install NI-VISA, Keysight IO Libraries or R&S VISA, or set ${PathVariable}", ex);
            }

            throw new InvalidOperationException($"viOpenDefaultRM failed with status 0x{status:X8}");
        }
    }

    internal static void ThrowIfError(int status, string operation, uint session)
    {
        if (status < 0)
        {
            throw new InvalidOperationException($"{operation} failed: {Describe(status, session)}");
        }
    }

    /// <summary>viStatusDesc text for a status, or its hex code when the library cannot describe it.</summary>
    internal static unsafe string Describe(int status, uint session)
    {
        var buffer = stackalloc byte[VisaInterop.FindBufferLength];
        try
        {
            if (VisaInterop.StatusDescription(session, status, buffer) >= 0)
            {
                return $"{ReadCString(buffer)} (0x{status:X8})";
            }
        }
        catch (EntryPointNotFoundException)
        {
            // Some minimal VISA builds omit viStatusDesc; the code alone is still meaningful (VPP-4.3 appendix).
        }

        return $"VISA status 0x{status:X8}";
    }

    private static unsafe string ReadCString(byte* buffer)
    {
        var length = 0;
        while (length < VisaInterop.FindBufferLength && buffer[length] != 0)
        {
            length++;
        }

        return Encoding.ASCII.GetString(buffer, length);
    }

    private static void InstallResolver()
    {
        if (_resolverInstalled)
        {
            return;
        }

        // One resolver serves the whole assembly (VISA and WGFMU); it dispatches to Resolve by library name.
        NativeLibraryResolver.Register(VisaInterop.LibraryName, Resolve);
        _resolverInstalled = true;
    }

    private static IntPtr Resolve()
    {
        lock (Gate)
        {
            return TryLoad(out var handle) ? handle : IntPtr.Zero;
        }
    }

    private static bool TryLoad(out IntPtr handle)
    {
        if (_handle != IntPtr.Zero)
        {
            handle = _handle;
            return true;
        }

        var env = Environment.GetEnvironmentVariable(PathVariable);
        IEnumerable<string> names = _configuredPath is not null ? [_configuredPath]
            : !string.IsNullOrEmpty(env) ? [env]
            : Candidates;
        foreach (var name in names)
        {
            if (NativeLibrary.TryLoad(name, out handle))
            {
                _handle = handle;
                _loadedFrom = name;
                return true;
            }
        }

        handle = IntPtr.Zero;
        return false;
    }
}
