using System.Runtime.InteropServices;

namespace CimHil.Simulation.Cuda.Interop;

/// <summary>
/// The CUDA driver API entry points this backend uses (CUDA Driver API reference, modules "Initialization", "Device",
/// "Primary Context", "Memory", "Module", "Execution"). The _v2 names are the ones cuda.h maps the plain names to.
/// </summary>
internal static unsafe class CudaDriver
{
    public const int Success = 0;
    public const int ComputeCapabilityMajor = 75;
    public const int ComputeCapabilityMinor = 76;
    public const int MultiprocessorCount = 16;

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuInit(uint flags);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuDriverGetVersion(out int version);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuDeviceGetCount(out int count);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuDeviceGet(out int device, int ordinal);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuDeviceGetName(byte* name, int length, int device);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuDeviceGetAttribute(out int value, int attribute, int device);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuDevicePrimaryCtxRetain(out IntPtr context, int device);

    [DllImport(CudaLibraries.Driver, EntryPoint = "cuDevicePrimaryCtxRelease_v2")]
    public static extern int cuDevicePrimaryCtxRelease(int device);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuCtxSetCurrent(IntPtr context);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuCtxSynchronize();

    [DllImport(CudaLibraries.Driver, EntryPoint = "cuMemGetInfo_v2")]
    public static extern int cuMemGetInfo(out nuint free, out nuint total);

    [DllImport(CudaLibraries.Driver, EntryPoint = "cuMemAlloc_v2")]
    public static extern int cuMemAlloc(out ulong pointer, nuint bytes);

    [DllImport(CudaLibraries.Driver, EntryPoint = "cuMemFree_v2")]
    public static extern int cuMemFree(ulong pointer);

    [DllImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyHtoD_v2")]
    public static extern int cuMemcpyHtoD(ulong destination, void* source, nuint bytes);

    [DllImport(CudaLibraries.Driver, EntryPoint = "cuMemcpyDtoH_v2")]
    public static extern int cuMemcpyDtoH(void* destination, ulong source, nuint bytes);

    [DllImport(CudaLibraries.Driver, EntryPoint = "cuMemsetD32_v2")]
    public static extern int cuMemsetD32(ulong destination, uint value, nuint count);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuModuleLoadData(out IntPtr module, byte* image);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuModuleUnload(IntPtr module);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuModuleGetFunction(out IntPtr function, IntPtr module, byte* name);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuLaunchKernel(IntPtr function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ, uint sharedBytes, IntPtr stream, void** parameters, void** extra);

    [DllImport(CudaLibraries.Driver)]
    public static extern int cuGetErrorName(int error, out IntPtr name);

    /// <summary>Throws <see cref="CudaException"/> naming the call and the driver's error name unless <paramref name="code"/> is success.</summary>
    public static void Check(int code, string call)
    {
        if (code == Success)
        {
            return;
        }

        string name;
        try
        {
            name = cuGetErrorName(code, out var p) == Success && p != IntPtr.Zero ? Marshal.PtrToStringAnsi(p) ?? "?" : "?";
        }
        catch (DllNotFoundException)
        {
            name = "?";
        }

        throw new CudaException($"{call}: CUDA driver error {code} ({name})");
    }
}
