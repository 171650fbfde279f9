namespace CimHil.Emulator.Scpi;

/// <summary>What an instrument does with the rest of a program message after one of its units failed.</summary>
internal enum ScpiErrorPolicy
{
    /// <summary>IEEE 488.2 section 6.1.10: the rest of the message is discarded and no response is sent (SCPI instruments).</summary>
    DiscardMessage,

    /// <summary>TSP: the chunk stops at the failing statement; what earlier statements printed has been sent.</summary>
    KeepEarlierResponses,

    /// <summary>FLEX (B1500A): the error is queued and the next command of the message runs.</summary>
    Continue,
}
