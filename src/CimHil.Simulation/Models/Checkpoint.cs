using System.Globalization;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Models;

/// <summary>A checkpoint does not fit the network it is loaded into; the message names the file and tensor.</summary>
public sealed class CheckpointMismatchException(string path, string problem) : Exception($"{path}: {problem}")
{
    /// <summary>The checkpoint file.</summary>
    public string FilePath { get; } = path;
}

/// <summary>
/// Network checkpoints as safetensors with PyTorch state_dict keys ("conv1.weight", "bn1.running_mean",
/// "bn1.num_batches_tracked" as int64 scalar) so torch's load_state_dict accepts them, and the reverse.
/// __metadata__ carries "architecture", "input_shape" and "classes".
/// </summary>
public static class Checkpoint
{
    /// <summary>Metadata key of the architecture name.</summary>
    public const string ArchitectureKey = "architecture";

    /// <summary>The state of a network as safetensors entries.</summary>
    public static Dictionary<string, SafetensorsEntry> StateDict(Network network)
    {
        ArgumentNullException.ThrowIfNull(network);
        var d = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach (var (path, t) in network.NamedParameters().Concat(network.NamedBuffers()))
        {
            d[path] = SafetensorsEntry.FromFloats(t.Data, t.ShapeArray());
        }

        foreach (var (path, m) in network.Modules)
        {
            if (m is BatchNorm2d bn)
            {
                d[Network.Join(path, "num_batches_tracked")] = SafetensorsEntry.FromInt64([bn.BatchesTracked], []);
            }
        }

        return d;
    }

    /// <summary>Metadata written with a network.</summary>
    public static Dictionary<string, string> MetadataOf(Network network, IReadOnlyDictionary<string, string>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var m = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ArchitectureKey] = network.Architecture,
            ["input_shape"] = string.Join(",", network.InputShape),
            ["classes"] = network.ClassCount.ToString(CultureInfo.InvariantCulture),
            ["format"] = "pt",
        };
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
            {
                m[k] = v;
            }
        }

        return m;
    }

    /// <summary>Writes the network's state to a safetensors file.</summary>
    public static Task SaveAsync(Network network, string path, IReadOnlyDictionary<string, string>? metadata = null, CancellationToken cancellationToken = default) =>
        Safetensors.WriteAsync(path, StateDict(network), MetadataOf(network, metadata), cancellationToken);

    /// <summary>Reads a checkpoint and builds the network named by its "architecture" metadata (or <paramref name="architecture"/>).</summary>
    public static async Task<Network> LoadAsync(string path, string? architecture = null, CancellationToken cancellationToken = default)
    {
        var file = await Safetensors.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        var arch = architecture ?? file.Metadata.GetValueOrDefault(ArchitectureKey)
            ?? throw new CheckpointMismatchException(path, $"no '{ArchitectureKey}' in __metadata__; pass the architecture explicitly (one of {string.Join(", ", ModelZoo.Names)}).");
        var channels = 1;
        if (file.Metadata.TryGetValue("input_shape", out var shape) && shape.Split(',') is { Length: 3 } parts)
        {
            channels = int.Parse(parts[0], CultureInfo.InvariantCulture);
        }

        var classes = file.Metadata.TryGetValue("classes", out var cls) ? int.Parse(cls, CultureInfo.InvariantCulture) : 10;
        var network = ModelZoo.Create(arch, seed: 0, channels, classes);
        LoadState(network, file, path);
        return network;
    }

    /// <summary>Copies a file's tensors into a network; every parameter and buffer must be present with the same shape.</summary>
    public static void LoadState(Network network, SafetensorsFile file, string source)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(file);
        foreach (var (key, t) in network.NamedParameters().Concat(network.NamedBuffers()))
        {
            if (!file.Tensors.TryGetValue(key, out var e))
            {
                throw new CheckpointMismatchException(source, $"tensor '{key}' required by '{network.Architecture}' is missing (the file has {string.Join(", ", file.Tensors.Keys.Order(StringComparer.Ordinal))}).");
            }

            if (!e.Shape.SequenceEqual(t.Shape))
            {
                throw new CheckpointMismatchException(source, $"tensor '{key}' has shape [{string.Join(", ", e.Shape)}], '{network.Architecture}' needs {t.ShapeString()}.");
            }

            e.ToFloats().CopyTo(t.Data, 0);
        }

        foreach (var (path, m) in network.Modules)
        {
            if (m is BatchNorm2d bn && file.Tensors.TryGetValue(Network.Join(path, "num_batches_tracked"), out var nb))
            {
                bn.BatchesTracked = nb.ToInt64()[0];
            }
        }
    }
}
