using System.Reflection;
using System.Runtime.InteropServices;

namespace CimHil.Instruments.Interop;

/// <summary>
/// The one DllImport resolver of this assembly. <see cref="NativeLibrary.SetDllImportResolver"/> accepts a single
/// resolver per assembly, so each native library (VISA, WGFMU) registers a loader under its logical library name here
/// and the resolver dispatches by that name.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Func<IntPtr>> Loaders = new(StringComparer.Ordinal);
    private static bool _installed;

    /// <summary>Routes P/Invokes declared with <paramref name="libraryName"/> to <paramref name="load"/> (IntPtr.Zero = not found).</summary>
    public static void Register(string libraryName, Func<IntPtr> load)
    {
        lock (Gate)
        {
            Loaders[libraryName] = load;
            if (!_installed)
            {
                NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
                _installed = true;
            }
        }
    }

    private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        Func<IntPtr>? load;
        lock (Gate)
        {
            Loaders.TryGetValue(libraryName, out load);
        }

        return load?.Invoke() ?? IntPtr.Zero;
    }
}
