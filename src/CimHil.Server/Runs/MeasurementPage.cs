namespace CimHil.Server.Runs;

/// <summary>One page of a run's measurements: the store's total, where the page starts, and its rows.</summary>
public sealed record MeasurementPage(string Run, long Total, int Offset, int Limit, IReadOnlyList<MeasurementRow> Items);
