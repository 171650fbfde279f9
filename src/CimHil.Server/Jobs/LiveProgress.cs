namespace CimHil.Server.Jobs;

/// <summary>
/// A progress record as the live stream carries it: the record the workflow reported, serialised as it is (so new
/// record types and fields flow through unchanged), its type name, and the server's estimate of the time left.
/// </summary>
public sealed record LiveProgress(string Record, object Progress, double? EtaSeconds);
