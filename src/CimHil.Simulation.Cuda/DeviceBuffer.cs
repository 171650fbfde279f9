using CimHil.Simulation.Cuda.Interop;

namespace CimHil.Simulation.Cuda;

/// <summary>A plain device allocation (cuMemAlloc, never managed memory: docs/gpu.md) of 4-byte elements.</summary>
internal sealed unsafe class DeviceBuffer : IDisposable
{
    private ulong _pointer;

    public DeviceBuffer(long elements)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(elements);
        Elements = elements;
        CudaDriver.Check(CudaDriver.cuMemAlloc(out _pointer, (nuint)(elements * 4)), $"cuMemAlloc({elements * 4} bytes)");
    }

    public long Elements { get; }

    public ulong Pointer => _pointer != 0 ? _pointer : throw new ObjectDisposedException(nameof(DeviceBuffer));

    /// <summary>Address of element <paramref name="index"/>.</summary>
    public ulong At(long index) => Pointer + (ulong)(index * 4);

    public void Upload<T>(ReadOnlySpan<T> source, long offset = 0)
        where T : unmanaged
    {
        if (source.IsEmpty)
        {
            return;
        }

        if (offset + source.Length > Elements || sizeof(T) != 4)
        {
            throw new ArgumentOutOfRangeException(nameof(source), $"{source.Length} elements at {offset} exceed the buffer of {Elements}");
        }

        fixed (T* p = source)
        {
            CudaDriver.Check(CudaDriver.cuMemcpyHtoD(At(offset), p, (nuint)(source.Length * 4)), "cuMemcpyHtoD");
        }
    }

    public void Download<T>(Span<T> destination, long offset = 0)
        where T : unmanaged
    {
        if (offset + destination.Length > Elements || sizeof(T) != 4)
        {
            throw new ArgumentOutOfRangeException(nameof(destination), $"{destination.Length} elements at {offset} exceed the buffer of {Elements}");
        }

        fixed (T* p = destination)
        {
            CudaDriver.Check(CudaDriver.cuMemcpyDtoH(p, At(offset), (nuint)(destination.Length * 4)), "cuMemcpyDtoH");
        }
    }

    public void Fill(uint bits, long count) => CudaDriver.Check(CudaDriver.cuMemsetD32(Pointer, bits, (nuint)count), "cuMemsetD32");

    public void Dispose()
    {
        if (_pointer != 0)
        {
            _ = CudaDriver.cuMemFree(_pointer);
            _pointer = 0;
        }
    }
}
