namespace CimHil.Core.HiSlip;

/// <summary>Numbers of the HiSLIP protocol (IVI-6.1 HiSLIP 2.0) shared by CimHil's client and the emulator's server.</summary>
public static class HiSlipWire
{
    /// <summary>The IANA-registered HiSLIP port (IVI-6.1, "HiSLIP Port").</summary>
    public const int DefaultPort = 4880;

    /// <summary>The default sub-address of VISA's <c>hislip0</c> device (VPP-4.3 section 4.3.1.1 resource grammar, IVI-6.1 "Initialize").</summary>
    public const string DefaultSubAddress = "hislip0";

    /// <summary>Protocol version 2.0 as the 16-bit major.minor field of Initialize and InitializeResponse (IVI-6.1 "Initialization Transaction").</summary>
    public const ushort Version20 = 0x0200;

    /// <summary>The first MessageID after Initialize and after a device clear (IVI-6.1 "Message ID": 0xffffff00, then +2 per message).</summary>
    public const uint InitialMessageId = 0xFFFF_FF00;

    /// <summary>MessageID step per Data, DataEnd or Trigger message (IVI-6.1 "Message ID").</summary>
    public const uint MessageIdStep = 2;

    /// <summary>Control code bit of Data/DataEnd/Trigger from the client: a complete response was delivered (IVI-6.1 "RMT-delivered").</summary>
    public const byte RmtDelivered = 0x01;

    /// <summary>InitializeResponse and the device-clear acknowledgements: bit 0 set for overlapped mode, clear for synchronized (IVI-6.1 "Initialization Transaction", "Device Clear Transaction").</summary>
    public const byte OverlapMode = 0x01;

    /// <summary>InitializeResponse bit 1 (HiSLIP 2.0): the server insists on an encrypted connection.</summary>
    public const byte EncryptionMandatory = 0x02;

    /// <summary>AsyncLock control codes (IVI-6.1 "Lock Transaction"): release or request.</summary>
    public const byte LockRelease = 0;

    public const byte LockRequest = 1;

    /// <summary>AsyncLockResponse control codes (IVI-6.1 "Lock Transaction"): failure (timed out), success, shared lock released, error.</summary>
    public const byte LockFailure = 0;

    public const byte LockSuccess = 1;

    public const byte LockSharedReleased = 2;

    public const byte LockError = 3;

    /// <summary>What a FatalError control code means (IVI-6.1 section 6.2 "Fatal Error Detection and Synchronization Recovery").</summary>
    public static string DescribeFatalError(byte code) => code switch
    {
        0 => "unidentified error",
        1 => "poorly formed message header",
        2 => "attempt to use the connection without both channels established",
        3 => "invalid initialization sequence",
        4 => "server refused the connection: maximum number of clients exceeded",
        5 => "secure connection failed",
        _ => $"fatal error code {code}",
    };

    /// <summary>What an Error control code means (IVI-6.1 section 6.3 "Error Notification Transaction").</summary>
    public static string DescribeError(byte code) => code switch
    {
        0 => "unidentified error",
        1 => "unrecognized message type",
        2 => "unrecognized control code",
        3 => "unrecognized vendor-defined message",
        4 => "message too large",
        5 => "authentication failed",
        _ => $"error code {code}",
    };
}
