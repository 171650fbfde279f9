namespace CimHil.Core.OncRpc;

/// <summary>
/// Numbers of the VXI-11 core channel (VXI-11 specification rev 1.0, section B.5 "RPCL description") and of the
/// portmapper that locates it (RFC 1833 section 3, program 100000 version 2).
/// </summary>
public static class Vxi11Wire
{
    public const uint PortmapperProgram = 100000;
    public const uint PortmapperVersion = 2;
    public const uint PortmapperGetPort = 3;

    /// <summary>The well-known portmapper port (RFC 1833 section 3).</summary>
    public const int PortmapperPort = 111;

    /// <summary>IPPROTO_TCP as the portmapper's <c>mapping.prot</c> (RFC 1833 section 3).</summary>
    public const uint ProtocolTcp = 6;

    public const uint DeviceCoreProgram = 0x0607AF;
    public const uint DeviceCoreVersion = 1;

    public const uint CreateLink = 10;
    public const uint DeviceWrite = 11;
    public const uint DeviceRead = 12;
    public const uint DeviceClear = 15;
    public const uint DeviceLock = 18;
    public const uint DeviceUnlock = 19;
    public const uint DestroyLink = 23;

    /// <summary><c>Device_Flags</c> bits (section B.5.3): wait for a lock, END on the last byte written, termChar valid.</summary>
    public const int FlagWaitLock = 0x01;
    public const int FlagEnd = 0x08;
    public const int FlagTermCharSet = 0x80;

    /// <summary><c>device_read</c> reason bits (section B.6.12): request count reached, termChar seen, END seen.</summary>
    public const int ReasonRequestCount = 0x01;
    public const int ReasonTermChar = 0x02;
    public const int ReasonEnd = 0x04;

    /// <summary><c>Device_ErrorCode</c> values used here (section B.5.2, table B.2).</summary>
    public const int ErrorNone = 0;
    public const int ErrorSyntax = 1;
    public const int ErrorInvalidLinkId = 4;
    public const int ErrorParameter = 5;
    public const int ErrorOperationNotSupported = 8;
    public const int ErrorOutOfResources = 9;
    public const int ErrorDeviceLocked = 11;
    public const int ErrorNoLockHeld = 12;
    public const int ErrorIoTimeout = 15;
    public const int ErrorIo = 17;
    public const int ErrorInvalidAddress = 21;
    public const int ErrorAbort = 23;

    /// <summary>The error code's name in the specification's table B.2, for messages.</summary>
    public static string Describe(int error) => error switch
    {
        ErrorNone => "no error",
        ErrorSyntax => "syntax error",
        3 => "device not accessible",
        ErrorInvalidLinkId => "invalid link identifier",
        ErrorParameter => "parameter error",
        6 => "channel not established",
        ErrorOperationNotSupported => "operation not supported",
        ErrorOutOfResources => "out of resources",
        ErrorDeviceLocked => "device locked by another link",
        ErrorNoLockHeld => "no lock held by this link",
        ErrorIoTimeout => "I/O timeout",
        ErrorIo => "I/O error",
        ErrorInvalidAddress => "invalid address",
        ErrorAbort => "abort",
        29 => "channel already established",
        _ => $"error {error}",
    };
}
