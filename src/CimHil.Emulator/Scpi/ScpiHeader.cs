namespace CimHil.Emulator.Scpi;

/// <summary>
/// A SCPI header pattern such as <c>SYSTem:ERRor[:NEXT]?</c>: upper-case letters are the short form, the whole word
/// the long form, bracketed nodes are optional (SCPI-99 vol. 1 section 6.2.1 "Command header").
/// </summary>
internal sealed class ScpiHeader
{
    private readonly Node[] _nodes;

    public ScpiHeader(string pattern)
    {
        Pattern = pattern;
        IsQuery = pattern.EndsWith('?');
        var body = IsQuery ? pattern[..^1] : pattern;
        var nodes = new List<Node>();
        var i = 0;
        while (i < body.Length)
        {
            var optional = body[i] == '[';
            if (optional)
            {
                i++;
            }

            if (i < body.Length && body[i] == ':')
            {
                i++;
            }

            var start = i;
            while (i < body.Length && body[i] is not (':' or '[' or ']'))
            {
                i++;
            }

            var word = body[start..i];
            if (optional)
            {
                i++; // ']'
            }

            nodes.Add(new Node(word.ToUpperInvariant(), new string(word.TakeWhile(c => char.IsUpper(c) || c == '*' || char.IsDigit(c)).ToArray()), optional));
        }

        _nodes = [.. nodes];
    }

    public string Pattern { get; }

    public bool IsQuery { get; }

    /// <summary>True when the received header (already split on ':', query mark removed) names this command.</summary>
    public bool Matches(IReadOnlyList<string> tokens, bool isQuery) => isQuery == IsQuery && Match(tokens, 0, 0);

    private bool Match(IReadOnlyList<string> tokens, int t, int n)
    {
        if (n == _nodes.Length)
        {
            return t == tokens.Count;
        }

        var node = _nodes[n];
        if (t < tokens.Count && node.Accepts(tokens[t]) && Match(tokens, t + 1, n + 1))
        {
            return true;
        }

        return node.Optional && Match(tokens, t, n + 1);
    }

    private sealed record Node(string Long, string Short, bool Optional)
    {
        public bool Accepts(string token) =>
            string.Equals(token, Long, StringComparison.OrdinalIgnoreCase) || string.Equals(token, Short, StringComparison.OrdinalIgnoreCase);
    }
}
