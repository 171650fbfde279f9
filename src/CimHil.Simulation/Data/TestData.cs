using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Data;

/// <summary>
/// The data a command evaluates on: a NumPy pair "x.npy,y.npy" (float32 inputs already normalised, int64 labels) or a
/// Fashion-MNIST IDX folder (null: the default folder).
/// </summary>
public static class TestData
{
    /// <summary>True when <paramref name="data"/> names a NumPy pair ("inputs.npy,labels.npy").</summary>
    public static bool IsNpyPair(string? data) => data is not null && data.Contains(',', StringComparison.Ordinal);

    /// <summary>
    /// Loads the <paramref name="split"/> ("t10k" or "train") of an IDX folder, or the NumPy pair (the same files for
    /// every split), checking the samples against the network's input shape and its class count.
    /// </summary>
    public static async Task<Dataset> LoadAsync(string? data, string split, Network network, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!IsNpyPair(data))
        {
            return await FashionMnist.LoadSplitAsync(FashionMnist.ResolveDirectory(data), split, cancellationToken).ConfigureAwait(false);
        }

        var parts = data!.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts.Any(p => !p.EndsWith(".npy", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException($"--data '{data}': a NumPy pair is two .npy files, inputs then labels: x.npy,y.npy.");
        }

        return await Npy.LoadDatasetAsync(parts[0], parts[1], network.ClassCount, network.InputShape, cancellationToken).ConfigureAwait(false);
    }
}
