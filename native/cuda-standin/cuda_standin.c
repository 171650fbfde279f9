/* A stand-in for the CUDA driver library (libcuda.so.1) for CI, which has no GPU: it answers the calls CimHil's probe makes
 * (src/CimHil.Simulation.Cuda/CudaDevice.cs) the way a machine without a usable GPU does, so the tests run the real P/Invoke
 * declarations and the real library search. CUDA_STANDIN_INIT sets cuInit's result (default 100, CUDA_ERROR_NO_DEVICE);
 * CUDA_STANDIN_DEVICES the device count (default 0). Codes from cuda.h. */
#include <stdlib.h>

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v ? atoi(v) : fallback;
}

int cuInit(unsigned int flags)
{
    (void)flags;
    return env_int("CUDA_STANDIN_INIT", 100);
}

int cuDeviceGetCount(int *count)
{
    *count = env_int("CUDA_STANDIN_DEVICES", 0);
    return 0;
}

int cuGetErrorName(int error, const char **name)
{
    *name = error == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_UNKNOWN";
    return 0;
}
