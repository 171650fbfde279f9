using System.Globalization;
using CimHil.Core.Chip;
using CimHil.Instruments.Wgfmu;

namespace CimHil.Drivers.B1500;

/// <summary>
/// The WGFMU's current measurement ranges, which this driver also uses as the current limit: the WGFMU has no compliance,
/// so the driver picks the largest range whose full scale does not exceed the requested limit (the measured current, and in
/// the emulator the cell current, then clips there; on real hardware a series resistor or 1T1R gate must limit the cell).
/// </summary>
public static class WgfmuRanges
{
    /// <summary>Full scales of WGFMU_MEASURE_CURRENT_RANGE_1UA … 10MA (B1530A user's guide, measurement ranges).</summary>
    public static IReadOnlyList<(WgfmuMeasureCurrentRange Range, double FullScaleA)> All { get; } =
    [
        (WgfmuMeasureCurrentRange.Range1uA, 1e-6),
        (WgfmuMeasureCurrentRange.Range10uA, 10e-6),
        (WgfmuMeasureCurrentRange.Range100uA, 100e-6),
        (WgfmuMeasureCurrentRange.Range1mA, 1e-3),
        (WgfmuMeasureCurrentRange.Range10mA, 10e-3),
    ];

    public static double SmallestA => All[0].FullScaleA;

    /// <summary>The largest range whose full scale is at most <paramref name="limitA"/> (with 1 ppm slack for decimal input).</summary>
    public static (WgfmuMeasureCurrentRange Range, double FullScaleA) ForLimit(double limitA)
    {
        for (var i = All.Count - 1; i >= 0; i--)
        {
            if (All[i].FullScaleA <= limitA * (1 + 1e-6))
            {
                return All[i];
            }
        }

        throw new UnsupportedOperationException(
            $"b1500: a current limit of {limitA.ToString("G6", CultureInfo.InvariantCulture)} A is below the WGFMU's smallest range ({SmallestA.ToString("G6", CultureInfo.InvariantCulture)} A), which is how this driver limits current");
    }

    /// <summary>The force voltage range that holds every level in [<paramref name="lowV"/>, <paramref name="highV"/>].</summary>
    public static WgfmuForceVoltageRange ForceRange(double lowV, double highV) =>
        Math.Max(Math.Abs(lowV), Math.Abs(highV)) switch
        {
            <= 3 => WgfmuForceVoltageRange.Range3V,
            <= 5 => WgfmuForceVoltageRange.Range5V,
            _ => lowV >= 0 ? WgfmuForceVoltageRange.Range10VPositive : WgfmuForceVoltageRange.Range10VNegative,
        };
}
