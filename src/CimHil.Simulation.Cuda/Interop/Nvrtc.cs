using System.Runtime.InteropServices;

namespace CimHil.Simulation.Cuda.Interop;

/// <summary>The NVRTC entry points this backend uses (NVRTC user guide, §3 "Getting started").</summary>
internal static unsafe class Nvrtc
{
    public const int Success = 0;

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcVersion(out int major, out int minor);

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcCreateProgram(out IntPtr program, byte* source, byte* name, int headerCount, IntPtr headers, IntPtr includeNames);

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcCompileProgram(IntPtr program, int optionCount, byte** options);

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcGetPTXSize(IntPtr program, out nuint size);

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcGetPTX(IntPtr program, byte* ptx);

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcGetProgramLogSize(IntPtr program, out nuint size);

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcGetProgramLog(IntPtr program, byte* log);

    [DllImport(CudaLibraries.Nvrtc)]
    public static extern int nvrtcDestroyProgram(ref IntPtr program);
}
