namespace CimHil.Calibration.Tests.RealArrays;

/// <summary>Programs the emulated array once for all the acceptance tests of a class.</summary>
public sealed class EmulatedArrayFixture : IAsyncLifetime
{
    internal EmulatedArray Array { get; private set; } = null!;

    public async Task InitializeAsync() => Array = await EmulatedArray.ProgramAsync(41, CancellationToken.None);

    public Task DisposeAsync() => Array.Chip.DisposeAsync().AsTask();
}
