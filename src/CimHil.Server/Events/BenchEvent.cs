using System.Text.Json;

namespace CimHil.Server.Events;

/// <summary>
/// One live event as clients receive it (one server-sent event): a sequence number for Last-Event-ID, its type
/// (<see cref="BenchEventTypes"/>), the operation it belongs to and its payload, already serialised.
/// </summary>
public sealed record BenchEvent(long Id, string Type, DateTimeOffset TimeUtc, string? Operation, JsonElement Data);
