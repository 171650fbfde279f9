using CimHil.Instruments.Transports.Visa;
using CimHil.Tests.Shared;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// Builds native/visa-standin/visa_standin.c with gcc into a temp directory once per test run and points
/// <see cref="VisaLibrary"/> at it, so the real P/Invoke declarations and marshalling are exercised.
/// </summary>
internal static class VisaStandIn
{
    private static readonly Lazy<string> Built = new(() => NativeStandIn.Build("visa_standin.c", "libvisa_standin.so"), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The path of the built library (configured into <see cref="VisaLibrary"/>).</summary>
    public static string EnsureLoaded()
    {
        var path = Built.Value;
        VisaLibrary.Configure(path);
        return path;
    }
}
