namespace CimHil.Tests.Shared;

/// <summary>
/// The WGFMU stand-in (native/wgfmu-standin/wgfmu_standin.c), built once per test process, so tests drive the real
/// P/Invoke declarations of <c>WgfmuLibrary</c> against a library that forwards every call over TCP
/// (docs/wgfmu-standin.md). Linked into every test project that needs it.
/// </summary>
internal static class WgfmuStandIn
{
    private static readonly Lazy<string> Built = new(() => NativeStandIn.Build("wgfmu_standin.c", "libwgfmu_standin.so"), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the built stand-in library (pass it to <c>new WgfmuLibrary(path)</c>).</summary>
    public static string LibraryPath => Built.Value;
}
