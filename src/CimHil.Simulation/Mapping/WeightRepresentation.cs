namespace CimHil.Simulation.Mapping;

/// <summary>How a signed weight is represented by device conductances.</summary>
public enum WeightRepresentation
{
    /// <summary>
    /// Differential pair per slice: w ∝ G⁺ − G⁻, the unused device of the pair left at the window minimum
    /// (the common RRAM/PCM scheme, e.g. Joshi et al., Nat. Commun. 11, 2473 (2020)).
    /// </summary>
    DifferentialPair,

    /// <summary>
    /// Differential pairs with one of two digital scales per weight (α and α/ratio, "analog floating point" of Wan et al.,
    /// ACM JETC 18(2) 2022, arXiv 2008.02400); see <see cref="Robustness.BiScaleEncoding"/>.
    /// </summary>
    BiScale,
}
