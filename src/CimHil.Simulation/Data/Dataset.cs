using CimHil.Simulation.Engine;

namespace CimHil.Simulation.Data;

/// <summary>An in-memory labelled image set: samples [Count, C, H, W] float32, labels in [0, ClassCount).</summary>
public sealed class Dataset
{
    private readonly float[] _images;
    private readonly int[] _labels;

    /// <summary>Wraps images (row-major, Count·C·H·W) and labels.</summary>
    public Dataset(float[] images, int[] labels, int[] sampleShape, int classCount)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(sampleShape);
        var per = Tensor.CountOf(sampleShape);
        if (images.Length != labels.Length * per)
        {
            throw new ArgumentException($"{labels.Length} labels need {labels.Length * per} image values, got {images.Length}.", nameof(images));
        }

        _images = images;
        _labels = labels;
        SampleShape = sampleShape;
        ClassCount = classCount;
    }

    /// <summary>Number of samples.</summary>
    public int Count => _labels.Length;

    /// <summary>[C, H, W].</summary>
    public IReadOnlyList<int> SampleShape { get; }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>All labels.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Values per sample.</summary>
    public int SampleSize => _images.Length / Math.Max(1, _labels.Length);

    /// <summary>The first <paramref name="count"/> samples (or all if fewer).</summary>
    public Dataset Take(int count)
    {
        var n = Math.Min(count, Count);
        return new Dataset(_images[..(n * SampleSize)], _labels[..n], [.. SampleShape], ClassCount);
    }

    /// <summary>The samples from index <paramref name="start"/> on.</summary>
    public Dataset Skip(int start)
    {
        var s = Math.Clamp(start, 0, Count);
        return new Dataset(_images[(s * SampleSize)..], _labels[s..], [.. SampleShape], ClassCount);
    }

    /// <summary>A new dataset of the samples with the given indices, in that order.</summary>
    public Dataset Select(ReadOnlySpan<int> indices)
    {
        var size = SampleSize;
        var x = new float[indices.Length * size];
        var y = new int[indices.Length];
        for (var i = 0; i < indices.Length; i++)
        {
            Array.Copy(_images, indices[i] * size, x, i * size, size);
            y[i] = _labels[indices[i]];
        }

        return new Dataset(x, y, [.. SampleShape], ClassCount);
    }

    /// <summary>A batch of the samples with the given indices: input [n, C, H, W] and labels.</summary>
    public (Tensor Input, int[] Labels) Batch(ReadOnlySpan<int> indices)
    {
        var subset = Select(indices);
        return (new Tensor(subset._images, [indices.Length, .. SampleShape]), subset._labels);
    }

    /// <summary>Consecutive batches in index order (the last may be smaller), for evaluation.</summary>
    public IEnumerable<(Tensor Input, int[] Labels)> Batches(int batchSize)
    {
        for (var start = 0; start < Count; start += batchSize)
        {
            var n = Math.Min(batchSize, Count - start);
            var idx = Enumerable.Range(start, n).ToArray();
            yield return Batch(idx);
        }
    }
}

/// <summary>Fashion-MNIST (Xiao, Rasul &amp; Vollgraf 2017): 28×28 grey images, 10 classes, 60 000 train / 10 000 test.</summary>
public static class FashionMnist
{
    /// <summary>Where Debian's dataset-fashion-mnist package installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Environment variable overriding <see cref="DefaultDirectory"/>.</summary>
    public const string DirectoryVariable = "CIMHIL_FASHION_MNIST";

    /// <summary>Class names in label order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>The directory to use: the argument, else $CIMHIL_FASHION_MNIST, else the Debian location.</summary>
    public static string ResolveDirectory(string? directory) =>
        directory ?? Environment.GetEnvironmentVariable(DirectoryVariable) ?? DefaultDirectory;

    /// <summary>Loads the training and test splits; pixels scaled to [0, 1].</summary>
    public static async Task<(Dataset Train, Dataset Test)> LoadAsync(string? directory = null, CancellationToken cancellationToken = default)
    {
        var dir = ResolveDirectory(directory);
        if (!Directory.Exists(dir))
        {
            throw new DatasetFormatException(dir, $"Fashion-MNIST directory not found (install Debian's dataset-fashion-mnist, or set {DirectoryVariable}).");
        }

        var train = await LoadSplitAsync(dir, "train", cancellationToken).ConfigureAwait(false);
        var test = await LoadSplitAsync(dir, "t10k", cancellationToken).ConfigureAwait(false);
        return (train, test);
    }

    /// <summary>Loads one split ("train" or "t10k") from &lt;prefix&gt;-images-idx3-ubyte[.gz] and -labels-idx1-ubyte[.gz].</summary>
    public static async Task<Dataset> LoadSplitAsync(string directory, string prefix, CancellationToken cancellationToken = default)
    {
        var imagesPath = Find(directory, $"{prefix}-images-idx3-ubyte");
        var labelsPath = Find(directory, $"{prefix}-labels-idx1-ubyte");
        var images = await IdxReader.ReadAsync(imagesPath, cancellationToken).ConfigureAwait(false);
        var labels = await IdxReader.ReadAsync(labelsPath, cancellationToken).ConfigureAwait(false);
        if (images.Dimensions.Length != 3)
        {
            throw new DatasetFormatException(imagesPath, $"expected a rank-3 image array [N, H, W], got [{string.Join(", ", images.Dimensions)}].");
        }

        if (labels.Dimensions.Length != 1 || labels.Dimensions[0] != images.Dimensions[0])
        {
            throw new DatasetFormatException(labelsPath, $"expected {images.Dimensions[0]} labels to match {imagesPath}, got [{string.Join(", ", labels.Dimensions)}].");
        }

        var x = new float[images.Values.Length];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = images.Values[i] / 255f;
        }

        var y = new int[labels.Values.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = labels.Values[i];
            if (y[i] >= ClassNames.Count)
            {
                throw new DatasetFormatException(labelsPath, $"label {y[i]} at index {i} is outside [0, {ClassNames.Count}).");
            }
        }

        return new Dataset(x, y, [1, images.Dimensions[1], images.Dimensions[2]], ClassNames.Count);
    }

    private static string Find(string directory, string stem)
    {
        var gz = Path.Combine(directory, stem + ".gz");
        if (File.Exists(gz))
        {
            return gz;
        }

        var plain = Path.Combine(directory, stem);
        return File.Exists(plain)
            ? plain
            : throw new DatasetFormatException(Path.GetFullPath(gz), $"Fashion-MNIST file not found (neither {stem}.gz nor {stem} exists in {directory}).");
    }
}
