using System.Globalization;

namespace CimHil.Instruments.Scpi;

/// <summary>One entry of the SCPI error queue (SCPI-99 volume 2, section 21.8): code and text, e.g. -113, "Undefined header".</summary>
public sealed record ScpiError(int Code, string Message)
{
    public bool IsError => Code != 0;

    public override string ToString() => $"{Code.ToString(CultureInfo.InvariantCulture)},\"{Message}\"";

    /// <summary>Parses a <c>SYST:ERR?</c> reply: <c>&lt;code&gt;,"&lt;text&gt;"</c>.</summary>
    public static ScpiError Parse(string reply)
    {
        var text = reply.Trim();
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        var codeText = comma < 0 ? text : text[..comma];
        if (!int.TryParse(codeText.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code))
        {
            throw new FormatException($"'{reply}' is not a SYST:ERR? reply (<code>,\"<message>\")");
        }

        var message = comma < 0 ? string.Empty : text[(comma + 1)..].Trim().Trim('"');
        return new ScpiError(code, message);
    }
}

/// <summary>The instrument reported an error for a command: code, message and the command that caused it.</summary>
public sealed class ScpiErrorException(string resource, string command, ScpiError error, IReadOnlyList<ScpiError> allErrors)
    : InstrumentException(resource, $"{resource} rejected '{command}': {error.Code},\"{error.Message}\"" + (allErrors.Count > 1 ? $" (+{allErrors.Count - 1} more in the error queue)" : string.Empty))
{
    public int Code => Error.Code;

    public string ErrorMessage => Error.Message;

    /// <summary>The command or query sent before the error queue was read.</summary>
    public string Command { get; } = command;

    public ScpiError Error { get; } = error;

    /// <summary>Every error drained from the queue, oldest first.</summary>
    public IReadOnlyList<ScpiError> AllErrors { get; } = allErrors;
}

/// <summary>The four fields of an IEEE 488.2 <c>*IDN?</c> reply (section 10.14).</summary>
public sealed record InstrumentIdentity(string Manufacturer, string Model, string SerialNumber, string Firmware)
{
    public static InstrumentIdentity Parse(string reply)
    {
        var f = reply.Trim().Split(',', 4);
        string At(int i) => i < f.Length ? f[i].Trim() : string.Empty;
        return new InstrumentIdentity(At(0), At(1), At(2), At(3));
    }

    public override string ToString() => $"{Manufacturer},{Model},{SerialNumber},{Firmware}";
}
