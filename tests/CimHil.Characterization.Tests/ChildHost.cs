using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Emulator;
using Serilog;

namespace CimHil.Characterization.Tests;

/// <summary>Runs one characterisation on a fresh emulator: in-process for tests, or as a child process that gets killed.</summary>
public static class ChildHost
{
    /// <summary>Printed (one line on stdout) by a child started with "freeze-after N" once it is frozen.</summary>
    public const string FrozenLine = "frozen";

    /// <summary>
    /// args: plan-path db-path technology seed size [resume | freeze-after N]. "freeze-after N" stops the child for good
    /// right after the first commit that brings a procedure to N units (it prints <see cref="FrozenLine"/>), so a test
    /// can kill it at a known point instead of racing it.
    /// </summary>
    public static async Task<int> MainAsync(string[] args)
    {
        if (args.Length < 5)
        {
            await Console.Error.WriteLineAsync("usage: plan db technology seed size [resume | freeze-after N]");
            return 2;
        }

        var plan = CharacterizationPlan.Load(args[0]);
        var technology = Enum.Parse<DeviceTechnology>(args[2], ignoreCase: true);
        var seed = long.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        var size = int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture);
        var resume = args.Length > 5 && args[5] == "resume";
        IProgress<CharacterizationProgress>? freeze = null;
        if (args.Length > 6 && args[5] == "freeze-after")
        {
            var units = int.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture);
            freeze = new Freeze(units);
        }

        await RunAsync(plan, args[1], technology, seed, resume, CancellationToken.None, size, freeze);
        return 0;
    }

    public static EmulatedChip Chip(DeviceTechnology technology, long seed, int size = 64) =>
        new(EmulatorSettings.Defaults with { Technology = technology, Seed = seed, Rows = size, Columns = size });

    /// <summary>
    /// A fresh emulator, as a restarted process gets; on resume the characteriser restores the array from the state file
    /// next to the store (a fabricated chip keeps its state across a crash of the software, and so does the emulator).
    /// </summary>
    public static async Task<CharacterizationSummary> RunAsync(CharacterizationPlan plan, string db, DeviceTechnology technology, long seed, bool resume, CancellationToken ct, int size = 64, IProgress<CharacterizationProgress>? progress = null)
    {
        await using var chip = Chip(technology, seed, size);
        return await RunAsync(plan, db, chip, resume, ct, progress);
    }

    public static async Task<CharacterizationSummary> RunAsync(CharacterizationPlan plan, string db, IChip chip, bool resume, CancellationToken ct, IProgress<CharacterizationProgress>? progress = null, CharacterizerOptions? options = null)
    {
        var provenance = new RunProvenance
        {
            Chip = chip.Identity,
            Geometry = chip.Geometry,
            VirtualClock = chip.Clock.IsVirtual,
            Driver = "emulator",
            ConfigHash = "test",
            SoftwareVersion = RunProvenance.CurrentSoftwareVersion,
        };
        using var store = resume ? MeasurementStore.Open(db, DateTimeOffset.UtcNow) : MeasurementStore.Create(db, plan.Name, plan.Json, provenance, DateTimeOffset.UtcNow);
        var characterizer = new Characterizer(chip, store, plan, Log.Logger, progress, options);
        return await characterizer.RunAsync(ct);
    }

    /// <summary>Progress is reported right after a commit; blocking here keeps the process alive with nothing in flight.</summary>
    private sealed class Freeze(int units) : IProgress<CharacterizationProgress>
    {
        public void Report(CharacterizationProgress value)
        {
            if (value.UnitsDone >= units)
            {
                Console.Out.WriteLine(FrozenLine);
                Console.Out.Flush();
                Thread.Sleep(Timeout.Infinite);
            }
        }
    }
}
