using CimHil.Core.Chip;

namespace CimHil.Core.Tests.Chip;

public class VirtualClockTests
{
    [Fact]
    public async Task Delay_AdvancesAtOnce()
    {
        var clock = new VirtualClock(VirtualClock.DefaultEpoch);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        await clock.DelayAsync(TimeSpan.FromDays(3), default);
        Assert.Equal(VirtualClock.DefaultEpoch.AddDays(3), clock.Now);
        Assert.True(wall.Elapsed < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void BlockCells_AreRowMajor()
    {
        var cells = new CellBlock(1, 2, 2, 2).Cells().ToList();
        Assert.Equal([new(1, 2), new(1, 3), new(2, 2), new(2, 3)], cells);
    }
}
