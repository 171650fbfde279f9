using System.Text.RegularExpressions;

namespace CimHil.Emulator.Instruments;

/// <summary>The emulated 2636B's scripts: <c>name.run()</c> defines the loaded script's functions, and calls run their bodies.</summary>
public sealed partial class Keithley2600BEmulator
{
    private void RunScript(string name, string statement)
    {
        List<string>? lines;
        lock (_gate)
        {
            _scripts.TryGetValue(name, out lines);
        }

        if (lines is null)
        {
            throw Error(-285, $"TSP Syntax error;attempt to index global '{name}' (a nil value) ({statement})");
        }

        // Running the script defines its functions; only function definitions are emulated at its top level.
        for (var i = 0; i < lines.Count; i++)
        {
            var header = FunctionHeader().Match(lines[i]);
            if (!header.Success)
            {
                throw Error(-285, $"TSP Syntax error;script {name} line {i + 1}: only function definitions are emulated ('{lines[i]}')");
            }

            var body = new List<string>();
            for (i++; i < lines.Count && lines[i] != "end"; i++)
            {
                body.Add(lines[i]);
            }

            if (i == lines.Count)
            {
                throw Error(-285, $"TSP Syntax error;script {name}: 'end' expected to close function {header.Groups["name"].Value}");
            }

            var parameters = header.Groups["params"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            lock (_gate)
            {
                _functions[header.Groups["name"].Value] = (parameters, body);
            }
        }
    }

    private async Task<string?> CallFunctionAsync(string name, (string[] Parameters, List<string> Body) function, string args, int depth, string statement, CancellationToken cancellationToken)
    {
        if (depth > 8)
        {
            throw Error(-285, $"TSP Syntax error;stack overflow in {name} ({statement})");
        }

        var values = args.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (values.Length != function.Parameters.Length)
        {
            throw Error(-285, $"TSP Syntax error;{name} takes {function.Parameters.Length} arguments, got {values.Length} ({statement})");
        }

        var replies = new List<string>();
        foreach (var line in function.Body)
        {
            // Arguments bound by name: each parameter identifier in the body stands for its argument's text; a name after a
            // '.' is a field (smu.source.levelv), not the parameter levelv (Lua 5.0 reference manual, section 2.5.4).
            var bound = line;
            for (var i = 0; i < values.Length; i++)
            {
                bound = Regex.Replace(bound, $@"(?<![.\w]){Regex.Escape(function.Parameters[i])}\b", values[i].Replace("$", "$$", StringComparison.Ordinal), RegexOptions.CultureInvariant);
            }

            if (await ExecuteStatementAsync(bound, depth + 1, cancellationToken).ConfigureAwait(false) is { } reply)
            {
                replies.Add(reply);
            }
        }

        return replies.Count == 0 ? null : string.Join('\n', replies);
    }
}
