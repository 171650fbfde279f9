using System.Text;
using CimHil.Simulation.Cuda.Interop;
using CimHil.Simulation.Cuda.Kernels;

namespace CimHil.Simulation.Cuda;

/// <summary>
/// GPU 0 opened for the Monte-Carlo backend: the driver's primary context (shared with cuBLAS, which uses the runtime's
/// primary context), one cuBLAS handle in the chosen math mode, and the NVRTC-compiled kernels. <see cref="Open"/> checks,
/// in order, the driver library, a GPU, cuBLAS and NVRTC, and its <see cref="CudaException"/> names the first one missing.
/// </summary>
public sealed unsafe class CudaDevice : IDisposable
{
    private readonly IntPtr _context;
    private IntPtr _cublas;
    private bool _disposed;

    private CudaDevice(int ordinal, IntPtr context, CudaMathMode mode)
    {
        Ordinal = ordinal;
        _context = context;
        MathMode = mode;
        var name = stackalloc byte[256];
        CudaDriver.Check(CudaDriver.cuDeviceGetName(name, 256, ordinal), "cuDeviceGetName");
        Name = Encoding.ASCII.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0));
        CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(out var major, CudaDriver.ComputeCapabilityMajor, ordinal), "cuDeviceGetAttribute");
        CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(out var minor, CudaDriver.ComputeCapabilityMinor, ordinal), "cuDeviceGetAttribute");
        CudaDriver.Check(CudaDriver.cuDeviceGetAttribute(out var sms, CudaDriver.MultiprocessorCount, ordinal), "cuDeviceGetAttribute");
        CudaDriver.Check(CudaDriver.cuDriverGetVersion(out var driver), "cuDriverGetVersion");
        ComputeCapability = $"{major}.{minor}";
        Multiprocessors = sms;
        DriverVersion = $"{driver / 1000}.{driver % 1000 / 10}";
        Interop.Cublas.Check(Interop.Cublas.cublasCreate(out _cublas), "cublasCreate");
        Interop.Cublas.Check(Interop.Cublas.cublasSetMathMode(_cublas, mode == CudaMathMode.Tf32 ? Interop.Cublas.Tf32TensorOpMath : Interop.Cublas.DefaultMath), "cublasSetMathMode");
        Interop.Cublas.Check(Interop.Cublas.cublasGetVersion(_cublas, out var cublasVersion), "cublasGetVersion");
        CublasVersion = $"{cublasVersion / 10000}.{cublasVersion % 10000 / 100}.{cublasVersion % 100}";
        NvrtcVersion = KernelModule.NvrtcVersion();
        Kernels = new KernelModule(major, minor, sms);
    }

    /// <summary>The device ordinal (0).</summary>
    public int Ordinal { get; }

    /// <summary>The device's name, e.g. "NVIDIA H200".</summary>
    public string Name { get; }

    /// <summary>Compute capability, e.g. "9.0".</summary>
    public string ComputeCapability { get; }

    /// <summary>Streaming multiprocessors.</summary>
    public int Multiprocessors { get; }

    /// <summary>The CUDA version the driver supports, e.g. "13.0".</summary>
    public string DriverVersion { get; }

    /// <summary>cuBLAS's version.</summary>
    public string CublasVersion { get; }

    /// <summary>NVRTC's version.</summary>
    public string NvrtcVersion { get; }

    /// <summary>The cuBLAS math mode of this device's handle.</summary>
    public CudaMathMode MathMode { get; }

    /// <summary>Where the three libraries were loaded from.</summary>
    public string Libraries { get; private init; } = "";

    internal KernelModule Kernels { get; }

    internal IntPtr CublasHandle => _cublas;

    /// <summary>One line for logs: device, capability, driver and library versions, math mode.</summary>
    public string Describe() =>
        $"{Name} (sm_{ComputeCapability.Replace(".", "", StringComparison.Ordinal)}, {Multiprocessors} SMs), driver CUDA {DriverVersion}, cuBLAS {CublasVersion}, NVRTC {NvrtcVersion}, {MathMode.ToString().ToLowerInvariant()}";

    /// <summary>
    /// Opens GPU 0, or throws <see cref="CudaException"/> naming what is missing: the driver library, a GPU, cuBLAS or NVRTC
    /// (with the sonames tried), or the failing call.
    /// </summary>
    public static CudaDevice Open(CudaMathMode mode = CudaMathMode.Fp32)
    {
        CudaLibraries.Register();
        var driver = CudaLibraries.TryLoad(CudaLibraries.Driver, out var tried)
            ?? throw new CudaException($"no NVIDIA driver: {tried} not found");
        var init = CudaDriver.cuInit(0);
        if (init != CudaDriver.Success)
        {
            // 100 = CUDA_ERROR_NO_DEVICE, 35 = CUDA_ERROR_INSUFFICIENT_DRIVER (cuda.h).
            var why = init switch { 100 => "no CUDA GPU found", 35 => "the driver is older than this CUDA runtime", _ => "the driver did not initialise" };
            throw new CudaException($"{why} (cuInit returned {init}; driver {driver})");
        }

        CudaDriver.Check(CudaDriver.cuDeviceGetCount(out var count), "cuDeviceGetCount");
        if (count < 1)
        {
            throw new CudaException($"no CUDA GPU found (driver {driver} sees 0 devices)");
        }

        var cublas = CudaLibraries.TryLoad(CudaLibraries.Cublas, out tried)
            ?? throw new CudaException($"cuBLAS not found: tried {tried} (set ${CudaLibraries.PathVariable} to the folder that holds it)");
        var nvrtc = CudaLibraries.TryLoad(CudaLibraries.Nvrtc, out tried)
            ?? throw new CudaException($"NVRTC not found: tried {tried} (set ${CudaLibraries.PathVariable} to the folder that holds it)");
        CudaDriver.Check(CudaDriver.cuDeviceGet(out var device, 0), "cuDeviceGet");
        CudaDriver.Check(CudaDriver.cuDevicePrimaryCtxRetain(out var context, device), "cuDevicePrimaryCtxRetain");
        CudaDriver.Check(CudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
        try
        {
            return new CudaDevice(device, context, mode) { Libraries = $"{driver}, {cublas}, {nvrtc}" };
        }
        catch
        {
            _ = CudaDriver.cuDevicePrimaryCtxRelease(device);
            throw;
        }
    }

    /// <summary>Makes this device's context current on the calling thread (the driver keeps it per thread).</summary>
    public void MakeCurrent() => CudaDriver.Check(CudaDriver.cuCtxSetCurrent(_context), "cuCtxSetCurrent");

    /// <summary>Waits for all work queued on the device.</summary>
    public void Synchronize() => CudaDriver.Check(CudaDriver.cuCtxSynchronize(), "cuCtxSynchronize");

    /// <summary>Free and total device memory in bytes.</summary>
    public (long Free, long Total) Memory()
    {
        CudaDriver.Check(CudaDriver.cuMemGetInfo(out var free, out var total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Kernels.Dispose();
        if (_cublas != IntPtr.Zero)
        {
            _ = Interop.Cublas.cublasDestroy(_cublas);
            _cublas = IntPtr.Zero;
        }

        _ = CudaDriver.cuDevicePrimaryCtxRelease(Ordinal);
    }
}
