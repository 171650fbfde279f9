using CimHil.Core.Chip;
using CimHil.Core.Safety;
using CimHil.Emulator;
using static CimHil.Emulator.Tests.TestChips;

namespace CimHil.Emulator.Tests;

public class EmulatedChipTests
{
    private static async Task<List<double>> RunScriptAsync(EmulatedChip chip)
    {
        var results = new List<double>();
        foreach (var cell in chip.Geometry.All.Cells())
        {
            results.Add((await chip.FormAsync(cell, Form(3.2, 50e-6), Ct)).CurrentA);
            await chip.ApplyPulseAsync(cell, Reset(1.3), Ct);
            await chip.ApplyPulseAsync(cell, Set(0.9 + (0.05 * cell.Column)), Ct);
        }

        chip.VirtualClock.Advance(TimeSpan.FromMinutes(3));
        results.AddRange((await chip.ReadArrayAsync(0.2, Ct)).CurrentsA);
        results.AddRange((await chip.MultiplyAsync(Enumerable.Repeat(0.1, chip.Geometry.Rows).ToArray(), Ct)).ColumnCurrentsA);
        return results;
    }

    [Theory]
    [InlineData(DeviceTechnology.Rram)]
    [InlineData(DeviceTechnology.Pcm)]
    public async Task SameSeedAndOperations_GiveIdenticalResults_AndAnotherSeedDiffers(DeviceTechnology technology)
    {
        EmulatorSettings Make(long seed) => new() { Technology = technology, Rows = 8, Columns = 8, Seed = seed };
        await using var a = new EmulatedChip(Make(42));
        await using var b = new EmulatedChip(Make(42));
        await using var c = new EmulatedChip(Make(43));

        var ra = await RunScriptAsync(a);
        var rb = await RunScriptAsync(b);
        var rc = await RunScriptAsync(c);

        Assert.Equal(ra, rb);
        Assert.Equal(a.GroundTruth.MaxConductanceS.ToArray(), b.GroundTruth.MaxConductanceS.ToArray());
        Assert.NotEqual(ra, rc);
        Assert.NotEqual(a.GroundTruth.MaxConductanceS.ToArray(), c.GroundTruth.MaxConductanceS.ToArray());
    }

    [Fact]
    public async Task BlockRead_EqualsTheSameCellsReadOneByOne()
    {
        await using var a = new EmulatedChip(Rram(6, 5, seed: 12));
        await using var b = new EmulatedChip(Rram(6, 5, seed: 12));
        await FormAllAsync(a);
        await FormAllAsync(b);
        var block = new CellBlock(1, 1, 4, 3);

        var bulk = await a.ReadBlockAsync(block, 0.2, Ct);
        var single = new List<double>();
        foreach (var cell in block.Cells())
        {
            single.Add((await b.ReadCellAsync(cell, 0.2, Ct)).CurrentA);
        }

        Assert.Equal(single, bulk.CurrentsA);
        Assert.Equal(block.CellCount, a.TotalReads);
        Assert.Equal(1, a.ReadOperations);
    }

    [Fact]
    public async Task Multiply_EqualsSumOfCellCurrents_WithinReadNoise()
    {
        await using var chip = new EmulatedChip(Rram(32, 24, seed: 17));
        await FormAllAsync(chip, complianceA: 30e-6);
        foreach (var cell in chip.Geometry.All.Cells())
        {
            await chip.ApplyPulseAsync(cell, Reset(0.9 + (0.03 * ((cell.Row * 7) + cell.Column) % 20)), Ct);
        }

        var rng = new Random(5);
        var voltages = Enumerable.Range(0, chip.Geometry.Rows).Select(_ => rng.NextDouble() * 0.2).ToArray();

        var vmm = await chip.MultiplyAsync(voltages, Ct);

        for (var c = 0; c < chip.Geometry.Columns; c++)
        {
            var expected = 0.0;
            var variance = 0.0;
            for (var r = 0; r < chip.Geometry.Rows; r++)
            {
                var cell = new CellAddress(r, c);
                var g = chip.TrueConductanceS(cell);
                expected += g * voltages[r];
                var sigma = chip.GroundTruth.ReadNoiseSigmaS(cell, g) * voltages[r];
                variance += sigma * sigma;
            }

            Assert.InRange(vmm.ColumnCurrentsA[c], expected - (5 * Math.Sqrt(variance)), expected + (5 * Math.Sqrt(variance)));
        }

        Assert.Equal(voltages, vmm.RowVoltagesV);
        Assert.Equal(1, chip.VmmOperations);
    }

    [Fact]
    public async Task Multiply_WhenDisabled_ThrowsCapabilityNotSupported()
    {
        await using var chip = new EmulatedChip(Rram(4, 4) with { VectorMatrixMultiply = false });

        Assert.False(chip.Supports(ChipCapabilities.VectorMatrixMultiply));
        await Assert.ThrowsAsync<CapabilityNotSupportedException>(() => chip.MultiplyAsync(new double[4], Ct));
    }

    [Fact]
    public async Task PulseOverSafetyLimit_ThroughSafeChip_IsRefused_AndNothingIsApplied()
    {
        var chip = new EmulatedChip(Rram(4, 4, seed: 3).WithoutStuckCells());
        await using var safe = new SafeChip(chip, SafetyLimits.Default);
        var cell = new CellAddress(1, 1);
        await safe.FormAsync(cell, Form(4.0, 100e-6), Ct);
        var before = chip.TrueConductanceS(cell);
        var pulsesBefore = chip.TotalPulses;

        await Assert.ThrowsAsync<SafetyLimitException>(() => safe.ApplyPulseAsync(cell, Set(SafetyLimits.Default.MaxSetVoltageV + 0.5), Ct));
        await Assert.ThrowsAsync<SafetyLimitException>(() => safe.FormAsync(cell, Form(SafetyLimits.Default.MaxFormVoltageV + 1, 100e-6), Ct));

        Assert.Equal(pulsesBefore, chip.TotalPulses);
        Assert.Equal(0, chip.PulseCount(cell));
        Assert.Equal(1, chip.TotalFormingPulses);
        Assert.Equal(before, chip.TrueConductanceS(cell));

        await safe.ApplyPulseAsync(cell, Reset(1.5), Ct);
        Assert.Equal(1, chip.PulseCount(cell));
        Assert.Equal(pulsesBefore + 1, chip.TotalPulses);
    }

    [Fact]
    public async Task Timestamps_ComeFromTheVirtualClock()
    {
        var clock = new VirtualClock(VirtualClock.DefaultEpoch);
        await using var chip = new EmulatedChip(Pcm(2, 2), clock);
        await clock.DelayAsync(TimeSpan.FromDays(3), Ct);

        var read = await chip.ReadCellAsync(new CellAddress(0, 0), 0.2, Ct);
        var pulse = await chip.ApplyPulseAsync(new CellAddress(0, 1), Set(1.0), Ct);

        Assert.Same(clock, chip.Clock);
        Assert.True(chip.Clock.IsVirtual);
        Assert.Equal(VirtualClock.DefaultEpoch.AddDays(3), read.Timestamp);
        Assert.Equal(VirtualClock.DefaultEpoch.AddDays(3), pulse.Timestamp);
    }

    [Fact]
    public async Task SafeState_IsRecorded_AndOutOfRangeCellsAreRejected()
    {
        var chip = new EmulatedChip(Rram(4, 4));
        await chip.SafeStateAsync(Ct);
        Assert.Equal(1, chip.SafeStateCalls);

        await Assert.ThrowsAsync<CellOutOfRangeException>(() => chip.ReadCellAsync(new CellAddress(4, 0), 0.2, Ct));
        await Assert.ThrowsAsync<CellOutOfRangeException>(() => chip.ReadBlockAsync(new CellBlock(2, 2, 3, 1), 0.2, Ct));

        await chip.DisposeAsync();
        Assert.True(chip.IsDisposed);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => chip.ReadCellAsync(new CellAddress(0, 0), 0.2, Ct));
    }
}
