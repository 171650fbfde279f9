using System.Text.Json;

namespace CimHil.Workflows;

/// <summary>
/// Reads back what a finished stage left in the run folder when a run is resumed. A file that cannot be read as what
/// the stage wrote (cut short by an older version that wrote in place, a damaged disk, a hand edit) is not an error
/// of the run: it is set aside as <c>&lt;name&gt;.damaged</c>, a warning says so, and the caller recomputes the stage.
/// </summary>
public static class StageResultFile
{
    /// <summary>The suffix a damaged result file gets when it is set aside.</summary>
    public const string DamagedSuffix = ".damaged";

    /// <summary>
    /// The stored result at <paramref name="path"/>, or null when there is none or it is damaged (then set aside).
    /// </summary>
    public static async Task<T?> TryLoadAsync<T>(string path, string stage, Func<string, CancellationToken, Task<T>> load, ILogger log, CancellationToken ct)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentNullException.ThrowIfNull(log);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return await load(path, ct);
        }
        catch (Exception ex) when (IsDamage(ex))
        {
            var aside = path + DamagedSuffix;
            File.Move(path, aside, overwrite: true);
            log.Warning("Stage {Stage}: {Path} is damaged ({Reason}); set aside as {Aside}, recomputing the stage", stage, path, ex.Message, aside);
            return null;
        }
    }

    /// <summary>
    /// The stage's cache: the JSON result a finished stage left at <paramref name="path"/> (whole, and accepted by
    /// <paramref name="complete"/>), or else <paramref name="compute"/>'s, written there atomically before it is returned.
    /// </summary>
    public static async Task<T> GetOrComputeJsonAsync<T>(string path, string stage, Func<T, bool> complete, Func<Task<T>> compute, ILogger log, CancellationToken ct)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(compute);
        if (await TryLoadAsync(path, stage, (p, c) => ReadJsonAsync(p, WorkflowJson.Options, complete, c), log, ct) is { } stored)
        {
            return stored;
        }

        var value = await compute();
        await AtomicFile.WriteAllTextAsync(path, JsonSerializer.Serialize(value, WorkflowJson.Options), ct);
        return value;
    }

    /// <summary>Reads a JSON result; an empty document, a duplicated key or one that <paramref name="complete"/> rejects counts as damaged.</summary>
    public static async Task<T> ReadJsonAsync<T>(string path, JsonSerializerOptions options, Func<T, bool> complete, CancellationToken ct)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(complete);
        var value = JsonDuplicateKeys.Deserialize<T>(await File.ReadAllTextAsync(path, ct), options, path);
        return value is not null && complete(value)
            ? value
            : throw new InvalidDataException($"{path}: does not hold a complete {typeof(T).Name}");
    }

    // Only the ways a file can be unreadable. I/O failures (permissions, a missing disk) still stop the run, and so does
    // a readable model of the wrong architecture (CheckpointMismatchException): that is the user's file, not damage.
    private static bool IsDamage(Exception ex) =>
        ex is JsonException or InvalidDataException or ConfigException or SafetensorsFormatException
            or EndOfStreamException or NotSupportedException;
}
