namespace CimHil.Instruments.Scpi;

/// <summary>What one exchange read back: a reply line (<see cref="ExchangeKind.Line"/>) or a block's payload (<see cref="ExchangeKind.Block"/>).</summary>
internal readonly record struct ExchangeReply(string? Line, byte[]? Block);
