namespace CimHil.Instruments.Tsp;

/// <summary>
/// TSP text helpers. A TSP chunk is Lua: statements may share a line separated by <c>;</c> (Lua 5.0 reference manual,
/// section 2.4.1 "Chunks"), which the instrument runs in order, stopping at the first that fails
/// (2600B reference manual 2600BS-901-01, section 6 "Instrument programming", "Queries and commands").
/// </summary>
public static class TspChunk
{
    /// <summary>One line of several statements, run in order.</summary>
    public static string Join(params IEnumerable<string> statements) => string.Join("; ", statements);
}
