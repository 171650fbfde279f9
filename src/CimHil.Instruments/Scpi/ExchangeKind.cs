namespace CimHil.Instruments.Scpi;

/// <summary>What one exchange of a <see cref="ScpiSession"/> puts on the wire and reads back.</summary>
internal enum ExchangeKind
{
    /// <summary>A message with no reply.</summary>
    Write,

    /// <summary>A query answered by one terminated line.</summary>
    Line,

    /// <summary>A query answered by an IEEE 488.2 definite-length block (section 8.7.9).</summary>
    Block,

    /// <summary>A command sent with <c>*OPC?</c> and the error query in one message; two lines come back.</summary>
    CommandWithCompletion,
}
