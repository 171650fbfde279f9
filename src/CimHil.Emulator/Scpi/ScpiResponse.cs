using System.Text;

namespace CimHil.Emulator.Scpi;

/// <summary>
/// One response message unit: text, encoded by the instrument that sends it, or bytes as they go on the wire (an
/// IEEE 488.2 definite-length block).
/// </summary>
internal sealed class ScpiResponse
{
    private readonly string? _text;
    private readonly byte[]? _bytes;

    private ScpiResponse(string? text, byte[]? bytes) => (_text, _bytes) = (text, bytes);

    /// <summary>A handler's answer for a command without a response.</summary>
    public static Task<ScpiResponse?> None { get; } = Task.FromResult<ScpiResponse?>(null);

    public static ScpiResponse Text(string text) => new(text, null);

    public static ScpiResponse Bytes(byte[] bytes) => new(null, bytes);

    /// <summary>A handler's text answer, already complete.</summary>
    public static Task<ScpiResponse?> TextTask(string text) => Task.FromResult<ScpiResponse?>(Text(text));

    public byte[] Encode(Encoding encoding) => _bytes ?? encoding.GetBytes(_text!);
}
