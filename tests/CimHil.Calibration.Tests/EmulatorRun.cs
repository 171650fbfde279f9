using CimHil.Characterization;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Emulator;
using Serilog;

namespace CimHil.Calibration.Tests;

/// <summary>The default characterisation of a 64×64 emulated array, calibrated: the model next to the chip's ground truth.</summary>
public sealed class EmulatorRun
{
    private EmulatorRun(EmulatedChip chip, CharacterizationPlan plan, DeviceVariationModel model, string db, double seconds)
    {
        Chip = chip;
        Plan = plan;
        Model = model;
        DatabasePath = db;
        Seconds = seconds;
    }

    public EmulatedChip Chip { get; }

    public EmulatorGroundTruth Truth => Chip.GroundTruth;

    public CharacterizationPlan Plan { get; }

    public DeviceVariationModel Model { get; }

    public string DatabasePath { get; }

    public double Seconds { get; }

    public double CharacterisationSeconds { get; init; }

    public static async Task<EmulatorRun> CreateAsync(DeviceTechnology technology, long seed)
    {
        var name = technology == DeviceTechnology.Rram ? "rram" : "pcm";
        var plan = CharacterizationPlan.Load(Path.Combine(AppContext.BaseDirectory, "plans", $"default-{name}.json"));
        var chip = new EmulatedChip(EmulatorSettings.Defaults with { Technology = technology, Seed = seed, Rows = 64, Columns = 64 });
        var dir = Path.Combine(Path.GetTempPath(), "cimhil-calibration-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var db = Path.Combine(dir, $"{name}.db");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var provenance = new RunProvenance
        {
            Chip = chip.Identity,
            Geometry = chip.Geometry,
            VirtualClock = true,
            Driver = "emulator",
            ConfigHash = null,
            SoftwareVersion = RunProvenance.CurrentSoftwareVersion,
        };
        using (var store = MeasurementStore.Create(db, plan.Name, plan.Json, provenance, DateTimeOffset.UtcNow))
        {
            await new Characterizer(chip, store, plan, Log.Logger).RunAsync(CancellationToken.None);
        }

        var characterisationSeconds = sw.Elapsed.TotalSeconds;
        DeviceVariationModel model;
        using (var store = MeasurementStore.Open(db, DateTimeOffset.UtcNow, readOnly: true))
        {
            model = Calibrator.Fit(store, $"emulator-{name}", new CalibrationOptions { BootstrapSamples = 100 });
        }

        return new EmulatorRun(chip, plan, model, db, sw.Elapsed.TotalSeconds) { CharacterisationSeconds = characterisationSeconds };
    }

    /// <summary>Indices of the cells without a manufacturing fault.</summary>
    public IEnumerable<int> HealthyCells() => Enumerable.Range(0, Truth.Geometry.CellCount).Where(i => Truth.Faults[i] == CellFault.None);
}

public sealed class RramRunFixture : IAsyncLifetime
{
    public EmulatorRun Run { get; private set; } = null!;

    public async Task InitializeAsync() => Run = await EmulatorRun.CreateAsync(DeviceTechnology.Rram, 11);

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed class PcmRunFixture : IAsyncLifetime
{
    public EmulatorRun Run { get; private set; } = null!;

    public async Task InitializeAsync() => Run = await EmulatorRun.CreateAsync(DeviceTechnology.Pcm, 12);

    public Task DisposeAsync() => Task.CompletedTask;
}
