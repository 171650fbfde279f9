namespace CimHil.Characterization.Import;

/// <summary>
/// A foreign file could not be imported: the file, and where known the line and column (1-based), say where.
/// The CLI reports it as bad input.
/// </summary>
public sealed class ImportException(string file, int? line, int? column, string problem)
    : Exception(Format(file, line, column, problem))
{
    public string File { get; } = file;

    public int? Line { get; } = line;

    public int? Column { get; } = column;

    public string Problem { get; } = problem;

    /// <summary>file:line:column: problem, the form compilers use, so editors can jump there.</summary>
    public static string Format(string file, int? line, int? column, string problem) =>
        line is null ? $"{file}: {problem}" : column is null ? $"{file}:{line}: {problem}" : $"{file}:{line}:{column}: {problem}";
}
