namespace CimHil.Cli.Tests;

/// <summary>
/// A test that needs a real NVIDIA GPU (docs/gpu.md, "CI and by-hand tests"): skipped unless <c>CIMHIL_GPU_TESTS=1</c>, so CI
/// (no GPU) reports it as skipped, never as passed; on a GPU machine with the .NET SDK, <c>CIMHIL_GPU_TESTS=1 dotnet test
/// --filter Category=Gpu</c> runs them.
/// </summary>
public sealed class GpuFactAttribute : FactAttribute
{
    /// <summary>The variable that enables GPU tests.</summary>
    public const string Variable = "CIMHIL_GPU_TESTS";

    public GpuFactAttribute()
    {
        if (Environment.GetEnvironmentVariable(Variable) != "1")
        {
            Skip = $"needs an NVIDIA GPU: set {Variable}=1 to run";
        }
    }
}
