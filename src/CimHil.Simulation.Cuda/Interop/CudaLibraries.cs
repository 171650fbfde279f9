using System.Reflection;
using System.Runtime.InteropServices;

namespace CimHil.Simulation.Cuda.Interop;

/// <summary>
/// Finds the CUDA libraries at run time: the driver (libcuda.so.1, installed with the NVIDIA driver) and cuBLAS and NVRTC of
/// the user's CUDA installation, sonames tried newest first (.13, then .12, then unversioned; docs/gpu.md), in the folders of
/// <c>CIMHIL_CUDA_LIBRARY_PATH</c> (':'-separated), then the loader's own search (LD_LIBRARY_PATH, ldconfig), then
/// /usr/local/cuda. Nothing is loaded until the backend is asked for.
/// </summary>
public static class CudaLibraries
{
    /// <summary>Extra folders to search first, ':'-separated.</summary>
    public const string PathVariable = "CIMHIL_CUDA_LIBRARY_PATH";

    internal const string Driver = "cimhil-cuda-driver";
    internal const string Cublas = "cimhil-cublas";
    internal const string Nvrtc = "cimhil-nvrtc";

    private static readonly string[] DriverNames = ["libcuda.so.1", "libcuda.so"];
    private static readonly string[] CublasNames = ["libcublas.so.13", "libcublas.so.12", "libcublas.so"];
    private static readonly string[] NvrtcNames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"];
    private static readonly string[] FallbackFolders = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"];
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, (IntPtr Handle, string? Path)> Loaded = [];
    private static bool _registered;

    /// <summary>Registers the resolver for this assembly's P/Invoke declarations (idempotent).</summary>
    internal static void Register()
    {
        lock (Gate)
        {
            if (!_registered)
            {
                NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
                _registered = true;
            }
        }
    }

    /// <summary>Loads one of the three libraries; returns the file loaded, or null with the names tried in <paramref name="tried"/>.</summary>
    internal static string? TryLoad(string library, out string tried)
    {
        var names = Names(library);
        tried = string.Join(", ", names);
        lock (Gate)
        {
            if (Loaded.TryGetValue(library, out var hit))
            {
                return hit.Path;
            }

            foreach (var name in names)
            {
                foreach (var candidate in Candidates(name))
                {
                    if (NativeLibrary.TryLoad(candidate, out var handle))
                    {
                        Loaded[library] = (handle, candidate);
                        return candidate;
                    }
                }
            }

            return null;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not (Driver or Cublas or Nvrtc))
        {
            return IntPtr.Zero;
        }

        if (TryLoad(name, out var tried) is null)
        {
            throw new DllNotFoundException($"CUDA: none of {tried} was found (searched ${PathVariable}, the loader's path, /usr/local/cuda)");
        }

        lock (Gate)
        {
            return Loaded[name].Handle;
        }
    }

    private static string[] Names(string library) => library switch
    {
        Driver => DriverNames,
        Cublas => CublasNames,
        Nvrtc => NvrtcNames,
        _ => throw new ArgumentOutOfRangeException(nameof(library), library, "not a CUDA library of this backend"),
    };

    private static IEnumerable<string> Candidates(string soname)
    {
        var extra = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(extra))
        {
            foreach (var folder in extra.Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return Path.Combine(folder, soname);
            }
        }

        yield return soname;
        foreach (var folder in FallbackFolders)
        {
            yield return Path.Combine(folder, soname);
        }
    }
}
