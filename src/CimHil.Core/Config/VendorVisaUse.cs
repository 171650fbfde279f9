namespace CimHil.Core.Config;

/// <summary>hil-config.json <c>transport.visa</c>: when an installed vendor VISA library (NI-VISA, Keysight IO Libraries) carries a resource.</summary>
public enum VendorVisaUse
{
    /// <summary>Built-in transports where they exist; the vendor VISA for what only it reaches (GPIB, and LAN INSTR when installed).</summary>
    Auto,

    /// <summary>Every resource through the vendor VISA (for example its own serial or USB driver).</summary>
    Always,

    /// <summary>Never load a vendor VISA, even when installed.</summary>
    Never,
}
