using System.Text.Json.Serialization;

namespace CimHil.Workflows;

/// <summary>
/// What every workflow's result record says first: which run folder and when. A caller that lists or watches runs (a
/// server) needs no more than this. System.Text.Json writes a base record's properties after the derived one's, hence the
/// explicit order: results.json and study.json begin with these four, as they always have.
/// </summary>
public abstract record WorkflowResults
{
    /// <summary>The run folder's name (its UTC start time).</summary>
    [JsonPropertyOrder(-1)]
    public required string RunId { get; init; }

    /// <summary>The run folder, as given.</summary>
    [JsonPropertyOrder(-1)]
    public required string Folder { get; init; }

    /// <summary>When this (possibly resumed) session started.</summary>
    [JsonPropertyOrder(-1)]
    public required DateTimeOffset StartedUtc { get; init; }

    /// <summary>When the last stage finished.</summary>
    [JsonPropertyOrder(-1)]
    public DateTimeOffset FinishedUtc { get; init; }
}
