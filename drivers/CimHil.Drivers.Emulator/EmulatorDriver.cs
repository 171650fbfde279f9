using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Drivers;
using CimHil.Core.Safety;
using CimHil.Emulator;

namespace CimHil.Drivers.Emulator;

/// <summary>The (empty) <c>chip.settings</c> of the emulator driver: the chip itself is described by the top-level <c>emulator</c> section.</summary>
public sealed record EmulatorDriverSettings;

/// <summary>Builds an in-process <see cref="EmulatedChip"/> from the <c>emulator</c> section of hil-config.json.</summary>
[ChipDriver("emulator", Description = "In-process RRAM/PCM array emulator (virtual clock, deterministic per seed); configured by the 'emulator' section")]
public sealed class EmulatorDriver : ChipDriver<EmulatorDriverSettings>
{
    /// <summary>Generous but finite ceilings: the emulator cannot be damaged, but a config asking for more is surely a mistake.</summary>
    public override SafetyLimits Maxima { get; } = new()
    {
        MaxSetVoltageV = 10,
        MaxResetVoltageV = 10,
        MaxFormVoltageV = 10,
        MaxReadVoltageV = 10,
        MaxGateVoltageV = 10,
        MaxComplianceA = 10e-3,
        MaxPulseWidthSeconds = 1,
        MinPulseWidthSeconds = 1e-12,
    };

    public override IReadOnlyList<DriverSetting> Settings { get; } = [];

    public override EmulatorDriverSettings Parse(JsonSection settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.AllowOnly();
        return new EmulatorDriverSettings();
    }

    public override async Task<IChip> ConnectAsync(EmulatorDriverSettings settings, DriverContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        var emulator = EmulatorSettings.Parse(context.Config.Section("emulator"));
        var chip = new EmulatedChip(emulator);
        var stateFile = EmulatorStateFile.PathFor(context.Config);
        context.Logger.Information(
            "Emulated {Technology} chip {Rows}x{Columns} fabricated with seed {Seed}: {StuckOn} stuck-on, {StuckOff} stuck-off cells",
            emulator.Technology,
            emulator.Rows,
            emulator.Columns,
            emulator.Seed,
            chip.GroundTruth.StuckOnCount,
            chip.GroundTruth.StuckOffCount);
        if (stateFile is null)
        {
            return chip;
        }

        if (await EmulatorStateFile.LoadAsync(chip, stateFile, cancellationToken).ConfigureAwait(false))
        {
            context.Logger.Information("Emulator state loaded from {StateFile} (clock {Clock:O})", stateFile, chip.Clock.Now);
        }

        return new PersistedEmulatedChip(chip, stateFile);
    }
}
