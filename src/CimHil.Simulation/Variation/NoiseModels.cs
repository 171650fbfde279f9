using System.Collections.Concurrent;
using CimHil.Core.Devices;

namespace CimHil.Simulation.Variation;

/// <summary>
/// Noise models by name, for <see cref="VariationSpec.Parse"/>: an argument "name:parameters" goes to the parser registered
/// for the longest name that its part before the colon starts with; "none" is <see cref="NoiseFreeModel"/>; anything else is
/// the path of a calibration JSON file (<see cref="CalibratedNoiseModel"/>). A new model registers itself once
/// (<see cref="Register"/>) and needs no change here.
/// </summary>
public static class NoiseModels
{
    /// <summary>Parses one registered model: (kind before the colon, argument after it, the whole text for error messages).</summary>
    public delegate IDeviceNoiseModel Parser(string kind, string argument, string text);

    private static readonly ConcurrentDictionary<string, Parser> Parsers = new(StringComparer.OrdinalIgnoreCase)
    {
        // "gaussian", "gaussian-weight", "gaussian-conductance"; other "gaussian…" kinds are refused by its parser.
        [GaussianNoiseModel.Name] = GaussianNoiseModel.Parse,
    };

    /// <summary>Registers (or replaces) the parser of the models whose kind starts with <paramref name="name"/>.</summary>
    public static void Register(string name, Parser parser)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parser);
        Parsers[name] = parser;
    }

    /// <summary>Parses "none", "name:parameters" of a registered model, or a calibration file path.</summary>
    public static IDeviceNoiseModel Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.Equals(text, "none", StringComparison.OrdinalIgnoreCase))
        {
            return NoiseFreeModel.Instance;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            var kind = text[..colon];
            var name = Parsers.Keys.Where(n => kind.StartsWith(n, StringComparison.OrdinalIgnoreCase)).MaxBy(n => n.Length);
            if (name is not null)
            {
                return Parsers[name](kind, text[(colon + 1)..], text);
            }
        }

        return new CalibratedNoiseModel(DeviceModelFile.Load(text));
    }
}
