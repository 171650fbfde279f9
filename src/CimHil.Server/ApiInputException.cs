namespace CimHil.Server;

/// <summary>A request field that is missing or out of range (HTTP 400); the message names the field and the value.</summary>
public sealed class ApiInputException(string field, string problem) : Exception($"{field}: {problem}")
{
    public string Field { get; } = field;
}
