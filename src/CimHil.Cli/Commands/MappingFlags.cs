using System.CommandLine;
using CimHil.Core.Config;
using CimHil.Simulation.Data;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Nn;

namespace CimHil.Cli.Commands;

/// <summary>
/// <c>--bits</c>, <c>--slices</c>, <c>--adc-bits</c>, <c>--dac-bits</c> over <c>simulation.mapping</c> of hil-config.json, and
/// the converters' range calibration on training images: one declaration for <c>evaluate</c> and <c>gpu check</c>, so the GPU
/// check maps and calibrates exactly as the evaluation it checks.
/// </summary>
internal sealed class MappingFlags
{
    public Option<int?> Bits { get; } = new("--bits") { Description = "Bits per device (default: simulation.mapping.bitsPerDevice of the config, else 4)" };

    public Option<int?> Slices { get; } = new("--slices") { Description = "Device slices per weight (default: config, else 1)" };

    public Option<int?> AdcBits { get; } = new("--adc-bits") { Description = "ADC bits per tile partial sum (default: config, else ideal)" };

    public Option<int?> DacBits { get; } = new("--dac-bits") { Description = "Input DAC bits (default: config, else ideal)" };

    public IEnumerable<Option> All => [Bits, Slices, AdcBits, DacBits];

    /// <summary>The config's mapping with the flags given applied (not yet validated).</summary>
    public CimMappingOptions Mapping(ParseResult parse, HilConfig config)
    {
        var configured = CimMappingOptions.FromJson(config.Section("simulation").SectionOrEmpty("mapping"));
        return configured with
        {
            BitsPerDevice = parse.GetValue(Bits) ?? configured.BitsPerDevice,
            SliceCount = parse.GetValue(Slices) ?? configured.SliceCount,
            AdcBits = parse.GetValue(AdcBits) ?? configured.AdcBits,
            DacBits = parse.GetValue(DacBits) ?? configured.DacBits,
        };
    }

    /// <summary>With converters, calibrates <paramref name="mapped"/>'s ranges on the first 1000 training images of <paramref name="data"/>.</summary>
    public static async Task CalibrateAsync(MappedNetwork mapped, string? data, Network network, CancellationToken ct)
    {
        if (!mapped.Options.NeedsTiledForward)
        {
            return;
        }

        // Converter ranges come from training images, not from the test set they are evaluated on.
        // With a NumPy pair there is no training split: the ranges come from its first 1000 inputs.
        var calibration = (await TestData.LoadAsync(data, "train", network, ct)).Take(1000);
        mapped.CalibratePeriphery(calibration.Batch(Enumerable.Range(0, calibration.Count).ToArray()).Input);
    }
}
