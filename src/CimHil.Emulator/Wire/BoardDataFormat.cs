namespace CimHil.Emulator.Wire;

/// <summary>Encoding of bulk replies (BLK:READ?, ROW:READ?, ARR:VMM?), set by <c>FORM[:DATA]</c>.</summary>
public enum BoardDataFormat
{
    /// <summary>Comma-separated NR3 numbers (the SCPI *RST default).</summary>
    Ascii,

    /// <summary>Definite-length block of IEEE 754 float64.</summary>
    Real64,

    /// <summary>Definite-length block of IEEE 754 float32 (half the bytes, ~7 significant digits).</summary>
    Real32,
}
