using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;

namespace CimHil.Simulation.Models;

/// <summary>Loads a model given on the command line or in settings: an ONNX graph (.onnx) or a safetensors checkpoint.</summary>
public static class ModelFile
{
    /// <summary>
    /// Imports <paramref name="path"/> with <see cref="OnnxImporter"/> when it ends in ".onnx" (BatchNorm folded into the
    /// preceding convolutions when <paramref name="foldBatchNorm"/>), else loads it as a checkpoint.
    /// </summary>
    public static async Task<Network> LoadAsync(string path, bool foldBatchNorm = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OnnxImporter.IsOnnxPath(path))
        {
            var imported = await OnnxImporter.LoadAsync(path, new OnnxImportOptions { FoldBatchNorm = foldBatchNorm }, cancellationToken).ConfigureAwait(false);
            return imported.Network;
        }

        return await Checkpoint.LoadAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
