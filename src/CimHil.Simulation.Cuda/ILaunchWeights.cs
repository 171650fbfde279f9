namespace CimHil.Simulation.Cuda;

/// <summary>
/// The host-side weights of one launch of chips, programmed on the CPU from the CPU path's streams: <see cref="ChipWeights"/>
/// (effective weights) or <see cref="Converters.ChipSliceWeights"/> (per-slice weights and output factors, converters).
/// </summary>
internal interface ILaunchWeights
{
    /// <summary>Chips in the launch.</summary>
    int Count { get; }

    /// <summary>Draws every chip's weights for inference batch <paramref name="batch"/> (read noise from (seed, chip, batch)).</summary>
    void Draw(long batch);

    /// <summary>Uploads the drawn weights into <paramref name="forward"/>'s chip slots 0 … Count − 1.</summary>
    void Upload(IBatchedForward forward);
}
