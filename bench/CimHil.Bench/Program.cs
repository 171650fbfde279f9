// Speed and memory targets, run by hand (never as timed unit tests):
//   dotnet run -c Release --project bench/CimHil.Bench -- <subcommand>
// Each subcommand is one static method; add yours to the table below.
using CimHil.Bench;

var benches = new SortedDictionary<string, (string Description, Func<string[], Task<int>> Run)>(StringComparer.Ordinal)
{
    ["gemm"] = ("GEMM GFLOP/s, OpenBLAS and managed [seconds per shape]", GemmBench.RunAsync),
    ["montecarlo"] = ("Monte-Carlo LeNet-5 images×chips/s vs GEMM GFLOP/s [chips] [batch] [checkpoint]", MonteCarloBench.RunAsync),
    ["emulator"] = ("emulator 256x256 program+read (RRAM and PCM)", EmulatorBench.RunAsync),
    ["onnx"] = ("Monte-Carlo ONNX LeNet-5 vs built-in LeNet-5 (same weights), residual fixture vs GEMM GFLOP/s [chips] [images]", OnnxBench.RunAsync),
    ["worstcase"] = ("worst-case search LeNet-5 at k: time to final accuracy, default vs paper, MC reference [k] [images] [checkpoint] [mc chips]", WorstCaseBench.RunAsync),
    ["worstcase-steps"] = ("worst-case search LeNet-5, fixed steps: ms per pass with OpenBLAS N/1 threads and managed, Gemm gate cost per product [images] [steps] [checkpoint]", WorstCaseStepsBench.RunAsync),
    ["transports"] = ("*OPC? round trip through ScpiSession over socket, VXI-11, HiSLIP and serial pty vs a bare socket (alternating blocks; CPU and bytes per query) [iterations]", TransportsBench.RunAsync),
    ["instruments"] = ("128x128 array read over TCP: one block, row by row, cell by cell [rows] [cols]", InstrumentsBench.RunAsync),
};

if (args.Length == 0 || args[0] is "-h" or "--help" || !benches.TryGetValue(args[0], out var bench))
{
    Console.WriteLine("usage: CimHil.Bench <subcommand> [args]");
    foreach (var (name, entry) in benches)
    {
        Console.WriteLine($"  {name,-16} {entry.Description}");
    }

    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 2;
}

return await bench.Run(args[1..]);
