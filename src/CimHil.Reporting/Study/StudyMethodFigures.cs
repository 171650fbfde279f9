using System.Collections.Immutable;

namespace CimHil.Reporting;

/// <summary>One method's figures in study.html: one entry per variation model.</summary>
/// <param name="Method">Method name.</param>
/// <param name="Models">Its variation models.</param>
public sealed record StudyMethodFigures(string Method, ImmutableArray<StudyModelFigures> Models);

/// <summary>A method under one variation model: every seed's chip accuracies, and the worst case per k across seeds.</summary>
/// <param name="Model">Variation model name.</param>
/// <param name="ChipAccuracies">Monte-Carlo accuracy of every chip of every seed, fractions.</param>
/// <param name="WorstCase">Worst case per bound k across seeds.</param>
public sealed record StudyModelFigures(string Model, ImmutableArray<double> ChipAccuracies, ImmutableArray<StudyWorstCaseBand> WorstCase);

/// <summary>The worst case at one bound across seeds, fractions: mean with its 95 % interval, and the lowest and highest seed.</summary>
public sealed record StudyWorstCaseBand(double K, double Mean, double Low, double High, double Minimum, double Maximum);
