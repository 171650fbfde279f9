using System.Text;
using CimHil.Simulation.Cuda.Interop;

namespace CimHil.Simulation.Cuda.Kernels;

/// <summary>
/// The backend's own kernels (montecarlo.cu, embedded): compiled once per process by NVRTC to PTX for the device's compute
/// capability, loaded with cuModuleLoadData (the driver JIT-compiles the PTX to the device's machine code) and launched
/// with cuLaunchKernel on the default stream, which orders them with the cuBLAS calls.
/// </summary>
internal sealed unsafe class KernelModule : IDisposable
{
    private const int Threads = 256;
    private readonly Dictionary<string, IntPtr> _functions = [];
    private readonly int _maxBlocks;
    private IntPtr _module;

    public KernelModule(int major, int minor, int multiprocessors)
    {
        // One module, one NVRTC run, one load: the Monte-Carlo forward, the graph forward (graph.cu), the worst-case
        // search's backward kernels (worstcase.cu, which shares im2col, bias and ReLU with the forward) and its resident
        // state (searchstate.cu), the DAC/ADC converters (converters.cu) and the device sampler (sampler.cu).
        var source = Embedded("montecarlo.cu") + "\n" + Embedded("graph.cu") + "\n" + Embedded("worstcase.cu") + "\n" + Embedded("searchstate.cu") + "\n" + Embedded("converters.cu") + "\n" + Embedded("sampler.cu");

        var ptx = Compile(source, $"--gpu-architecture=compute_{major}{minor}");
        fixed (byte* image = ptx)
        {
            CudaDriver.Check(CudaDriver.cuModuleLoadData(out _module, image), "cuModuleLoadData(montecarlo.cu)");
        }

        foreach (var name in new[] { "im2col", "bias_relu", "pool_bias_relu", "flatten", "broadcast_input", "count_correct", "relu_backward", "pool_argmax", "pool_backward", "col2im", "unflatten" }.Concat(
                     from k in new[] { 5, 3 } from pool in new[] { 2, 1 } from ob in ChannelsPerThread select $"conv_k{k}_p{pool}_o{ob}").Concat(GraphFunctions).Concat(SearchStateFunctions).Concat(ConverterFunctions).Append("sample_gaussian_weights"))
        {
            var bytes = Encoding.ASCII.GetBytes(name + "\0");
            fixed (byte* p = bytes)
            {
                CudaDriver.Check(CudaDriver.cuModuleGetFunction(out var f, _module, p), $"cuModuleGetFunction({name})");
                _functions[name] = f;
            }
        }

        // Grid-stride loops: a few waves of blocks per multiprocessor are enough to keep the memory system busy.
        _maxBlocks = Math.Max(1, multiprocessors) * 16;
    }

    /// <summary>The kernels of graph.cu (Graph/GraphForward.cs).</summary>
    public static IReadOnlyList<string> GraphFunctions { get; } =
        ["graph_im2col", "graph_epilogue", "graph_add", "graph_map", "graph_gather", "graph_scatter", "graph_avg_pool", "graph_global_avg_pool", "graph_copy"];

    /// <summary>The kernels of converters.cu (Converters/TiledForward.cs).</summary>
    public static IReadOnlyList<string> ConverterFunctions { get; } = ["dac_quantize", "adc_accumulate"];

    /// <summary>The kernels of searchstate.cu (CudaSearchState.cs).</summary>
    public static IReadOnlyList<string> SearchStateFunctions { get; } =
        ["wc_decode", "wc_score", "wc_score_sum", "wc_step", "wc_focus_select", "wc_copy"];

    /// <summary>NVRTC's version, e.g. "13.0".</summary>
    public static string NvrtcVersion()
    {
        _ = Nvrtc.nvrtcVersion(out var major, out var minor);
        return $"{major}.{minor}";
    }

    /// <summary>Launches <paramref name="name"/> over <paramref name="elements"/> elements per group and <paramref name="groups"/> groups.</summary>
    public void Launch(string name, long elements, int groups, params object[] arguments)
    {
        var blocks = (uint)Math.Clamp((elements + Threads - 1) / Threads, 1, _maxBlocks);
        LaunchGrid(name, blocks, (uint)groups, arguments);
    }

    /// <summary>The output channels per thread the direct convolution kernels are compiled for (montecarlo.cu, conv_pool).</summary>
    public static IReadOnlyList<int> ChannelsPerThread { get; } = [8, 6, 4, 2, 1];

    /// <summary>Launches with exactly <paramref name="blocksX"/> × <paramref name="groups"/> blocks of 256 threads.</summary>
    public void LaunchGrid(string name, uint blocksX, uint groups, params object[] arguments) => LaunchGrid3D(name, blocksX, groups, 1, arguments);

    /// <summary>Launches with exactly <paramref name="blocksX"/> × <paramref name="groups"/> × <paramref name="blocksZ"/> blocks of 256 threads.</summary>
    public void LaunchGrid3D(string name, uint blocksX, uint groups, uint blocksZ, params object[] arguments) =>
        LaunchBlocks(name, blocksX, groups, blocksZ, Threads, arguments);

    /// <summary>Launches <paramref name="blocksX"/> × <paramref name="groups"/> × <paramref name="blocksZ"/> blocks of <paramref name="threads"/> threads.</summary>
    public void LaunchBlocks(string name, uint blocksX, uint groups, uint blocksZ, uint threads, params object[] arguments)
    {
        // Each kernel parameter is passed as a pointer to its value (cuLaunchKernel's kernelParams).
        var storage = stackalloc long[arguments.Length];
        var pointers = stackalloc void*[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            switch (arguments[i])
            {
                case int v:
                    *(int*)(storage + i) = v;
                    break;
                case long v:
                    storage[i] = v;
                    break;
                case ulong v:
                    storage[i] = (long)v;
                    break;
                case double v:
                    *(double*)(storage + i) = v;
                    break;
                default:
                    throw new ArgumentException($"kernel {name}: argument {i} of type {arguments[i].GetType().Name}");
            }

            pointers[i] = storage + i;
        }

        CudaDriver.Check(CudaDriver.cuLaunchKernel(_functions[name], blocksX, groups, blocksZ, threads, 1, 1, 0, IntPtr.Zero, pointers, null), $"cuLaunchKernel({name})");
    }

    public void Dispose()
    {
        if (_module != IntPtr.Zero)
        {
            _ = CudaDriver.cuModuleUnload(_module);
            _module = IntPtr.Zero;
        }
    }

    private static string Embedded(string file)
    {
        using var stream = typeof(KernelModule).Assembly.GetManifestResourceStream("CimHil.Simulation.Cuda." + file)
                           ?? throw new InvalidOperationException($"{file} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static byte[] Compile(string source, string architecture)
    {
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var name = Encoding.ASCII.GetBytes("montecarlo.cu\0");
        var options = new[] { Encoding.ASCII.GetBytes(architecture + "\0"), "--std=c++17\0"u8.ToArray() };
        IntPtr program;
        fixed (byte* s = src, n = name)
        {
            Check(Nvrtc.nvrtcCreateProgram(out program, s, n, 0, IntPtr.Zero, IntPtr.Zero), "nvrtcCreateProgram");
        }

        try
        {
            int status;
            fixed (byte* o0 = options[0], o1 = options[1])
            {
                var list = stackalloc byte*[] { o0, o1 };
                status = Nvrtc.nvrtcCompileProgram(program, 2, list);
            }

            if (status != Nvrtc.Success)
            {
                _ = Nvrtc.nvrtcGetProgramLogSize(program, out var logSize);
                var log = new byte[(int)logSize + 1];
                fixed (byte* l = log)
                {
                    _ = Nvrtc.nvrtcGetProgramLog(program, l);
                }

                throw new CudaException($"NVRTC could not compile montecarlo.cu for {architecture} (status {status}): {Encoding.UTF8.GetString(log).TrimEnd('\0')}");
            }

            Check(Nvrtc.nvrtcGetPTXSize(program, out var size), "nvrtcGetPTXSize");
            var ptx = new byte[(int)size];
            fixed (byte* p = ptx)
            {
                Check(Nvrtc.nvrtcGetPTX(program, p), "nvrtcGetPTX");
            }

            return ptx;
        }
        finally
        {
            _ = Nvrtc.nvrtcDestroyProgram(ref program);
        }
    }

    private static void Check(int status, string call)
    {
        if (status != Nvrtc.Success)
        {
            throw new CudaException($"{call}: NVRTC status {status}");
        }
    }
}
