using System.Globalization;

namespace CimHil.Emulator.Scpi;

/// <summary>One parsed program message unit: the unit as received and its parameters.</summary>
internal sealed record ScpiRequest(string Unit, string[] Parameters)
{
    /// <summary>The header's parameters: comma-separated, quoted strings kept whole (IEEE 488.2 section 7.7.5).</summary>
    public static string[] SplitParameters(string parameters) =>
        parameters.Length == 0 ? [] : [.. ScpiMessage.SplitOutsideQuotes(parameters, ',')];

    public void Count(int min, int max)
    {
        if (Parameters.Length < min)
        {
            throw new ScpiCommandException(-109, $"Missing parameter;{Unit} needs {min} parameters, got {Parameters.Length}");
        }

        if (Parameters.Length > max)
        {
            throw new ScpiCommandException(-108, $"Parameter not allowed;{Unit} takes at most {max} parameters, got {Parameters.Length}");
        }

        if (Parameters.Any(p => p.Length == 0))
        {
            throw new ScpiCommandException(-109, $"Missing parameter;{Unit} has an empty parameter");
        }
    }

    public int Int(int index, string what)
    {
        if (index >= Parameters.Length)
        {
            throw new ScpiCommandException(-109, $"Missing parameter;{what}");
        }

        if (!int.TryParse(Parameters[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new ScpiCommandException(-104, $"Data type error;{what} '{Parameters[index]}' is not an integer");
        }

        return value;
    }

    /// <summary>
    /// A decimal numeric parameter (IEEE 488.2 section 7.7.2: NR1, NR2 or NR3). Anything else, the words NaN, INF and
    /// Infinity included, is the wrong data type (-104): the protocol takes no special numeric forms. A well-formed number
    /// too large for a double (1e999) is data out of range (-222).
    /// </summary>
    public double Double(int index, string what)
    {
        if (index >= Parameters.Length)
        {
            throw new ScpiCommandException(-109, $"Missing parameter;{what}");
        }

        var text = Parameters[index];
        if (!IsDecimalNumeric(text) || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new ScpiCommandException(-104, $"Data type error;{what} '{text}' is not a number");
        }

        if (!double.IsFinite(value))
        {
            throw new ScpiCommandException(-222, $"Data out of range;{what} '{text}' is beyond the range of a double");
        }

        return value;
    }

    /// <summary>Absent or <c>DEF</c> (SCPI DEFault) means "use the chip's default".</summary>
    public double? OptionalDouble(int index, string what) =>
        index >= Parameters.Length || Parameters[index].Equals("DEF", StringComparison.OrdinalIgnoreCase) || Parameters[index].Equals("DEFAULT", StringComparison.OrdinalIgnoreCase)
            ? null
            : Double(index, what);

    /// <summary>[sign] digits [. digits] [E [sign] digits], at least one mantissa digit.</summary>
    private static bool IsDecimalNumeric(string text)
    {
        var i = SkipSign(text, 0);
        var mantissaDigits = SkipDigits(text, ref i);
        if (i < text.Length && text[i] == '.')
        {
            i++;
            mantissaDigits += SkipDigits(text, ref i);
        }

        if (mantissaDigits == 0)
        {
            return false;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i = SkipSign(text, i + 1);
            if (SkipDigits(text, ref i) == 0)
            {
                return false;
            }
        }

        return i == text.Length;
    }

    private static int SkipSign(string text, int i) => i < text.Length && text[i] is '+' or '-' ? i + 1 : i;

    private static int SkipDigits(string text, ref int i)
    {
        var start = i;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        return i - start;
    }
}
