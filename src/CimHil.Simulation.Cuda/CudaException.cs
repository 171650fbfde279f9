namespace CimHil.Simulation.Cuda;

/// <summary>A CUDA call failed, or CUDA is not usable here; the message names the call or what was missing.</summary>
public sealed class CudaException(string message) : Exception(message);
