using CimHil.Core.Config;

namespace CimHil.Simulation.Mapping;

/// <summary>
/// CiM mapping settings: device levels, bit slicing, scale sharing, crossbar tile size and the periphery converters.
/// Read from the "simulation.mapping" section of hil-config.json with <see cref="FromJson"/>.
/// </summary>
public sealed record CimMappingOptions
{
    /// <summary>Bits per device: each device holds one of 2^bits evenly spaced conductance levels across the window.</summary>
    public int BitsPerDevice { get; init; } = 4;

    /// <summary>Devices (differential pairs) per weight; slice s carries significance (2^BitsPerDevice)^s, recombined digitally.</summary>
    public int SliceCount { get; init; } = 1;

    /// <summary>Scale sharing.</summary>
    public ScaleGranularity Scale { get; init; } = ScaleGranularity.PerLayer;

    /// <summary>Representation of the sign and magnitude.</summary>
    public WeightRepresentation Representation { get; init; } = WeightRepresentation.DifferentialPair;

    /// <summary>α_large/α_small of the <see cref="WeightRepresentation.BiScale"/> representation (&gt; 1; default 8).</summary>
    public double BiScaleRatio { get; init; } = 8;

    /// <summary>Crossbar rows per tile: inputs (word lines) summed into one partial sum.</summary>
    public int TileRows { get; init; } = 256;

    /// <summary>Crossbar columns per tile: outputs (bit lines) sharing one ADC range.</summary>
    public int TileColumns { get; init; } = 256;

    /// <summary>Input DAC resolution in bits (signed, symmetric); null: ideal analog inputs.</summary>
    public int? DacBits { get; init; }

    /// <summary>Output ADC resolution in bits (signed, symmetric), applied to each tile's partial sum per slice; null: ideal.</summary>
    public int? AdcBits { get; init; }

    /// <summary>Converter full scale = headroom × the largest magnitude seen on the calibration batch (per tile and slice).</summary>
    public double RangeHeadroom { get; init; } = 1.0;

    /// <summary>Quantisation levels per device, 2^BitsPerDevice.</summary>
    public int LevelsPerDevice => 1 << BitsPerDevice;

    /// <summary>True when the forward must run per tile (ADC or DAC quantisation); otherwise effective weights suffice.</summary>
    public bool NeedsTiledForward => DacBits is not null || AdcBits is not null;

    /// <summary>Largest integer magnitude a weight can take: (2^bits)^slices − 1.</summary>
    public long MaxCode => checked((long)Math.Pow(LevelsPerDevice, SliceCount)) - 1;

    /// <summary>Checks the ranges; messages name the setting, the value and the limit.</summary>
    public CimMappingOptions Validate()
    {
        Check(BitsPerDevice is >= 1 and <= 12, $"bitsPerDevice {BitsPerDevice} must lie in [1, 12]");
        Check(SliceCount is >= 1 and <= 8, $"sliceCount {SliceCount} must lie in [1, 8]");
        Check(BitsPerDevice * SliceCount <= 24, $"bitsPerDevice × sliceCount = {BitsPerDevice * SliceCount} exceeds 24 (float32 weights)");
        Check(TileRows >= 1, $"tileRows {TileRows} must be ≥ 1");
        Check(TileColumns >= 1, $"tileColumns {TileColumns} must be ≥ 1");
        Check(DacBits is null or (>= 2 and <= 16), $"dacBits {DacBits} must lie in [2, 16]");
        Check(AdcBits is null or (>= 2 and <= 16), $"adcBits {AdcBits} must lie in [2, 16]");
        Check(RangeHeadroom > 0, $"rangeHeadroom {RangeHeadroom} must be greater than 0");
        Check(BiScaleRatio > 1 && double.IsFinite(BiScaleRatio), $"biScaleRatio {BiScaleRatio} must be a finite number greater than 1");
        return this;

        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentOutOfRangeException(nameof(CimMappingOptions), message);
            }
        }
    }

    /// <summary>Parses a "mapping" section; unknown keys are rejected with their JSON path.</summary>
    public static CimMappingOptions FromJson(JsonSection section)
    {
        ArgumentNullException.ThrowIfNull(section);
        section.AllowOnly("bitsPerDevice", "sliceCount", "scale", "representation", "tileRows", "tileColumns", "dacBits", "adcBits", "rangeHeadroom", "biScaleRatio");
        var d = new CimMappingOptions();
        var o = new CimMappingOptions
        {
            BitsPerDevice = section.Int("bitsPerDevice", d.BitsPerDevice, 1, 12),
            SliceCount = section.Int("sliceCount", d.SliceCount, 1, 8),
            Scale = section.Enum("scale", d.Scale),
            Representation = section.Enum("representation", d.Representation),
            TileRows = section.Int("tileRows", d.TileRows, 1, null),
            TileColumns = section.Int("tileColumns", d.TileColumns, 1, null),
            DacBits = section.Has("dacBits") ? section.Int("dacBits", 2, 16) : null,
            AdcBits = section.Has("adcBits") ? section.Int("adcBits", 2, 16) : null,
            RangeHeadroom = section.Has("rangeHeadroom") ? section.Positive("rangeHeadroom") : d.RangeHeadroom,
            BiScaleRatio = section.Has("biScaleRatio") ? section.Positive("biScaleRatio") : d.BiScaleRatio,
        };
        if (!(o.BiScaleRatio > 1) || !double.IsFinite(o.BiScaleRatio))
        {
            throw section.Error("biScaleRatio", $"bi-scale ratio {o.BiScaleRatio} must be a finite number greater than 1 (α_large/α_small)");
        }

        if (o.BitsPerDevice * o.SliceCount > 24)
        {
            throw section.Error("sliceCount", $"bitsPerDevice × sliceCount = {o.BitsPerDevice * o.SliceCount} exceeds 24 (float32 weights)");
        }

        return o;
    }
}
