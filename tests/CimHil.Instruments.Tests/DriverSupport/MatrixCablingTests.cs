using CimHil.Core.Chip;
using CimHil.Instruments.DriverSupport;
using CimHil.Instruments.Switching;

namespace CimHil.Instruments.Tests.DriverSupport;

/// <summary>The mapping from a cell to the 707B crosspoints that select it, which the drivers own.</summary>
public sealed class MatrixCablingTests
{
    [Fact]
    public void Crosspoints_WordLineToHi_BitLineToLo_EveryOtherLineToTheBiasBus()
    {
        var crosspoints = new MatrixCabling().Crosspoints(new CellAddress(1, 2), rows: 4, columns: 4);

        Assert.Equal("channel.exclusiveclose(\"1A02,2B03,1C01,1C03,1C04,2C01,2C02,2C04\")", Keithley707B.ExclusiveCloseCommand(crosspoints));
    }

    [Fact]
    public void Crosspoints_FollowTheCabling()
    {
        var cabling = new MatrixCabling { WordLineSlot = 3, BitLineSlot = 5, HiRow = 'D', LoRow = 'E', BiasRow = 'H' };

        Assert.Equal(["3D01", "5E12", "3H02"], cabling.Crosspoints(new CellAddress(0, 11), rows: 2, columns: 12).Take(3).Select(c => c.ToString()));
    }
}
