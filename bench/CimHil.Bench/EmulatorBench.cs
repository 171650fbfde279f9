using System.Diagnostics;
using CimHil.Core.Chip;
using CimHil.Emulator;

namespace CimHil.Bench;

/// <summary>Target: programming and reading every cell of a 256×256 array once takes under 1 s.</summary>
internal static class EmulatorBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var ct = CancellationToken.None;
        var ok = true;

        // Warm-up on a small array so the timed pass measures steady-state (tiered JIT) code, not compilation.
        foreach (var technology in new[] { DeviceTechnology.Rram, DeviceTechnology.Pcm })
        {
            await using var warm = new EmulatedChip(new EmulatorSettings { Technology = technology, Rows = 64, Columns = 64 });
            for (var pass = 0; pass < 3; pass++)
            {
                foreach (var cell in warm.Geometry.All.Cells())
                {
                    await warm.FormAsync(cell, new FormingPulse { AmplitudeV = 3.5, WidthSeconds = 1e-6, ComplianceA = 50e-6 }, ct);
                    await warm.ApplyPulseAsync(cell, new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.0, WidthSeconds = 1e-6 }, ct);
                    await warm.ReadCellAsync(cell, 0.2, ct);
                }
            }
        }

        foreach (var technology in new[] { DeviceTechnology.Rram, DeviceTechnology.Pcm })
        {
            var settings = new EmulatorSettings { Technology = technology, Rows = 256, Columns = 256, Seed = 1 };
            var fabricate = Stopwatch.StartNew();
            await using var chip = new EmulatedChip(settings);
            fabricate.Stop();
            if (technology == DeviceTechnology.Rram)
            {
                foreach (var cell in chip.Geometry.All.Cells())
                {
                    await chip.FormAsync(cell, new FormingPulse { AmplitudeV = 3.5, WidthSeconds = 1e-6, ComplianceA = 50e-6 }, ct);
                }
            }

            var pulse = new ProgramPulse { Polarity = PulsePolarity.Set, AmplitudeV = 1.0, WidthSeconds = 1e-6 };
            var sw = Stopwatch.StartNew();
            foreach (var cell in chip.Geometry.All.Cells())
            {
                await chip.ApplyPulseAsync(cell, pulse, ct);
            }

            var programMs = sw.Elapsed.TotalMilliseconds;
            foreach (var cell in chip.Geometry.All.Cells())
            {
                await chip.ReadCellAsync(cell, 0.2, ct);
            }

            var totalMs = sw.Elapsed.TotalMilliseconds;
            var block = Stopwatch.StartNew();
            await chip.ReadArrayAsync(0.2, ct);
            var blockMs = block.Elapsed.TotalMilliseconds;
            var vmm = Stopwatch.StartNew();
            await chip.MultiplyAsync(Enumerable.Repeat(0.1, 256).ToArray(), ct);
            var vmmMs = vmm.Elapsed.TotalMilliseconds;

            Console.WriteLine(
                $"emulator {technology} 256x256 program+read: {totalMs:F0} ms (program {programMs:F0} ms, cell reads {totalMs - programMs:F0} ms; " +
                $"fabrication {fabricate.Elapsed.TotalMilliseconds:F0} ms, one block read {blockMs:F1} ms, one VMM {vmmMs:F1} ms) — target < 1000 ms");
            ok &= totalMs < 1000;
        }

        return ok ? 0 : 1;
    }
}
