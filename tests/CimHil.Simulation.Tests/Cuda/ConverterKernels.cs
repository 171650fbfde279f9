using System.Runtime.InteropServices;
using CimHil.Simulation.Cuda.Converters;
using CimHil.Tests.Shared;

namespace CimHil.Simulation.Tests.Cuda;

/// <summary>
/// The converter kernels (converters.cu: dac_quantize, adc_accumulate) built for the host by g++
/// (native/cuda-host/converters_host.cpp on cuda_host.h's built-ins), called as the GPU's grid would run them over
/// <c>groups</c> chips. Shared by the kernel tests and the tiled forward's host interpreter.
/// </summary>
internal sealed unsafe class ConverterKernels : IDisposable
{
    private static readonly Lazy<string> Library = new(() => NativeStandIn.Build("converters_host.cpp", "libconverters_host.so", "g++"));

    private readonly IntPtr _handle = NativeLibrary.Load(Library.Value);

    public void Dispose() => NativeLibrary.Free(_handle);

    /// <summary>dac_quantize over x[g·groupStride + offset + i], i &lt; count, for each of <paramref name="groups"/> chips.</summary>
    public void DacQuantize(float[] x, long offset, long count, long groupStride, int groups, Quantizer q)
    {
        var run = (delegate* unmanaged<int, float*, long, long, double, double, int, void>)NativeLibrary.GetExport(_handle, "run_dac_quantize");
        fixed (float* p = x)
        {
            run(groups, p + offset, count, groupStride, q.Step, q.Inverse, q.MaxCode);
        }
    }

    /// <summary>adc_accumulate of part[g][O][M] into y[g][O][M], the pairs read from <paramref name="adc"/> at <paramref name="adcOffset"/>.</summary>
    public void AdcAccumulate(float[] part, float[] y, int groups, int outputs, int m, int tileColumns, double[] adc, int adcOffset, int maxCode, bool first, float[]? factors)
    {
        var run = (delegate* unmanaged<int, float*, float*, int, int, int, double*, int, int, float*, void>)NativeLibrary.GetExport(_handle, "run_adc_accumulate");
        fixed (float* pp = part, py = y, pf = factors)
        fixed (double* pa = adc)
        {
            run(groups, pp, py, outputs, m, tileColumns, pa + adcOffset, maxCode, first ? 1 : 0, factors is null ? null : pf);
        }
    }
}
