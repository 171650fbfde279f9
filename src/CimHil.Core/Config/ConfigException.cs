namespace CimHil.Core.Config;

/// <summary>A configuration (or plan, or settings) file is wrong. <see cref="JsonPath"/> says where, the message says what.</summary>
public class ConfigException : Exception
{
    public ConfigException(string jsonPath, string problem, string? source = null)
        : this(jsonPath, problem, source, Format(jsonPath, problem, source))
    {
    }

    /// <summary>For a problem with several places (a plan's violations), whose message lists them all.</summary>
    protected ConfigException(string jsonPath, string problem, string? source, string message)
        : base(message)
    {
        JsonPath = jsonPath;
        Problem = problem;
        Source_ = source;
    }

    public string JsonPath { get; }

    public string Problem { get; }

    /// <summary>The file the problem is in, when known.</summary>
    public string? Source_ { get; }

    public ConfigException WithSource(string source) => new(JsonPath, Problem, source);

    private static string Format(string path, string problem, string? source)
    {
        var where = string.IsNullOrEmpty(path) ? "(root)" : path;
        return source is null ? $"{where}: {problem}" : $"{source}: {where}: {problem}";
    }
}
