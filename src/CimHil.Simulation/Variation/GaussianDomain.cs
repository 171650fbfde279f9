namespace CimHil.Simulation.Variation;

/// <summary>Where the plain Gaussian model adds its noise.</summary>
public enum GaussianDomain
{
    /// <summary>
    /// w' = w + N(0, (σ_rel·max|W|)²) per layer, on the weight. The form of Yan et al. (ICCAD 2022) and their code
    /// (MariusAnje/CIM_Noise: set_noise scales unit normals by weight.abs().max()).
    /// </summary>
    Weight,

    /// <summary>g' = g + N(0, (σ_rel·(Gmax − Gmin))²) on every device.</summary>
    Conductance,
}
