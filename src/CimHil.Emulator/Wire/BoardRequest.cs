using System.Globalization;

namespace CimHil.Emulator.Wire;

/// <summary>One parsed program message unit of the board protocol: the unit as received and its parameters.</summary>
internal sealed record BoardRequest(string Unit, string[] Parameters)
{
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
        var i = 0;
        if (i < text.Length && text[i] is '+' or '-')
        {
            i++;
        }

        var mantissaDigits = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
            mantissaDigits++;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                mantissaDigits++;
            }
        }

        if (mantissaDigits == 0)
        {
            return false;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            var exponentDigits = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                exponentDigits++;
            }

            if (exponentDigits == 0)
            {
                return false;
            }
        }

        return i == text.Length;
    }
}

/// <summary>A command failed with a SCPI error code; the message is the error-queue text ("Description;detail").</summary>
internal sealed class ScpiCommandException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;
}
