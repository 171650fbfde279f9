namespace CimHil.Core.Devices;

/// <summary>
/// One point of an accuracy-versus-bound curve: the bound k (|Δg_i| ≤ k·σ_i of the device model) and the accuracy
/// (fraction in [0, 1]) reached there. Lives in Core so the report can plot the curve without knowing the search.
/// </summary>
public sealed record WorstCasePoint(double K, double Accuracy);
