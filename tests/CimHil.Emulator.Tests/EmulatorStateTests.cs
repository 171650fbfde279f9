using CimHil.Core.Chip;
using static CimHil.Emulator.Tests.TestChips;

namespace CimHil.Emulator.Tests;

/// <summary>Saving and loading the emulator's dynamic state: a reloaded chip continues exactly where the saved one was.</summary>
public sealed class EmulatorStateTests
{
    private static async Task<double[]> WorkAsync(EmulatedChip chip)
    {
        // Pulses, reads, a clock advance: every kind of state and random stream moves.
        var results = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            var cell = new CellAddress(i % 4, (i * 3) % 6);
            results.Add((await chip.ApplyPulseAsync(cell, Set(1.2 + (0.05 * i), gateV: 2.0), Ct)).Timestamp.UtcTicks);
            results.Add((await chip.ReadCellAsync(cell, 0.2, Ct)).CurrentA);
        }

        chip.VirtualClock.Advance(TimeSpan.FromSeconds(100));
        results.AddRange((await chip.ReadArrayAsync(0.2, Ct)).CurrentsA);
        return [.. results];
    }

    [Theory]
    [InlineData(DeviceTechnology.Rram)]
    [InlineData(DeviceTechnology.Pcm)]
    public async Task SaveThenLoadIntoAFreshChip_ContinuesBitForBit(DeviceTechnology technology)
    {
        var settings = (technology == DeviceTechnology.Rram ? Rram(4, 6, 9) : Pcm(4, 6, 9));
        await using var original = new EmulatedChip(settings);
        if (technology == DeviceTechnology.Rram)
        {
            await FormAllAsync(original);
        }

        await WorkAsync(original);
        using var saved = new MemoryStream();
        original.SaveState(saved);

        await using var restored = new EmulatedChip(settings);
        saved.Position = 0;
        restored.LoadState(saved);

        Assert.Equal(original.VirtualClock.Now, restored.VirtualClock.Now);
        Assert.Equal(original.TotalPulses, restored.TotalPulses);
        Assert.Equal(original.TotalReads, restored.TotalReads);
        Assert.Equal(await WorkAsync(original), await WorkAsync(restored));
    }

    [Fact]
    public async Task Load_IntoAChipOfAnotherSeedOrGeometry_IsRefused()
    {
        await using var original = new EmulatedChip(Rram(4, 6, 9));
        using var saved = new MemoryStream();
        original.SaveState(saved);

        await using var otherSeed = new EmulatedChip(Rram(4, 6, 10));
        saved.Position = 0;
        var ex = Assert.Throws<ChipStateMismatchException>(() => otherSeed.LoadState(saved));
        Assert.Contains("fabricated from other emulator settings", ex.Message, StringComparison.Ordinal);

        await using var otherSize = new EmulatedChip(Rram(4, 7, 9));
        saved.Position = 0;
        ex = Assert.Throws<ChipStateMismatchException>(() => otherSize.LoadState(saved));
        Assert.Contains("4x6 array", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Load_OfATruncatedFile_IsRefusedAndLeavesNoHalfState()
    {
        await using var original = new EmulatedChip(Rram(4, 6, 9));
        await FormAllAsync(original);
        using var saved = new MemoryStream();
        original.SaveState(saved);
        var cut = new MemoryStream(saved.ToArray()[..(int)(saved.Length / 2)]);

        await using var fresh = new EmulatedChip(Rram(4, 6, 9));
        var ex = Assert.Throws<ChipStateMismatchException>(() => fresh.LoadState(cut));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        Assert.All(fresh.Geometry.All.Cells(), c => Assert.False(fresh.IsFormed(c)));
        Assert.Equal(0, fresh.TotalFormingPulses);
    }
}
