using System.Runtime.InteropServices;

namespace CimHil.Instruments.Transports.Visa;

/// <summary>
/// The VISA C API subset we use (IVI Foundation VPP-4.3.2 "VISA Implementation Specification for Textual Languages").
/// Types on 64-bit: ViSession/ViUInt32 = 32-bit unsigned, ViStatus = 32-bit signed, ViAttrState = 64-bit unsigned.
/// The library name "visa" is mapped to the installed vendor library by <see cref="VisaLibrary"/>.
/// </summary>
internal static partial class VisaInterop
{
    public const string LibraryName = "visa";

    public const int Success = 0;
    public const int SuccessTermChar = 0x3FFF0005;
    public const int SuccessMaxCount = 0x3FFF0006;
    public const int ErrorTimeout = unchecked((int)0xBFFF0015);
    public const int ErrorResourceNotFound = unchecked((int)0xBFFF0011);
    public const int ErrorInvalidResourceName = unchecked((int)0xBFFF0012);
    public const int ErrorIo = unchecked((int)0xBFFF003E);
    public const int ErrorConnectionLost = unchecked((int)0xBFFF00A6);

    public const uint AttrTimeoutValue = 0x3FFF001A;
    public const uint AttrTermChar = 0x3FFF0018;
    public const uint AttrTermCharEnabled = 0x3FFF0038;
    public const uint AttrSendEndEnabled = 0x3FFF0016;
    public const uint AttrAsrlBaud = 0x3FFF0021;
    public const uint AttrAsrlDataBits = 0x3FFF0022;
    public const uint AttrAsrlParity = 0x3FFF0023;
    public const uint AttrAsrlStopBits = 0x3FFF0024;
    public const uint AttrAsrlFlowControl = 0x3FFF0025;
    public const uint AttrAsrlEndIn = 0x3FFF00B3;
    public const uint AttrAsrlEndOut = 0x3FFF00B4;

    /// <summary>VI_ASRL_END_TERMCHAR: serial reads end at the termination character, writes append it.</summary>
    public const ulong AsrlEndTermChar = 2;

    /// <summary>VI_FIND_BUFLEN: the size of a resource-description buffer.</summary>
    public const int FindBufferLength = 256;

    [LibraryImport(LibraryName, EntryPoint = "viOpenDefaultRM")]
    public static partial int OpenDefaultRM(out uint resourceManager);

    [LibraryImport(LibraryName, EntryPoint = "viOpen", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(uint resourceManager, string resource, uint accessMode, uint openTimeoutMs, out uint session);

    [LibraryImport(LibraryName, EntryPoint = "viClose")]
    public static partial int Close(uint session);

    [LibraryImport(LibraryName, EntryPoint = "viWrite")]
    public static unsafe partial int Write(uint session, byte* buffer, uint count, out uint written);

    [LibraryImport(LibraryName, EntryPoint = "viRead")]
    public static unsafe partial int Read(uint session, byte* buffer, uint count, out uint read);

    [LibraryImport(LibraryName, EntryPoint = "viSetAttribute")]
    public static partial int SetAttribute(uint session, uint attribute, ulong value);

    [LibraryImport(LibraryName, EntryPoint = "viClear")]
    public static partial int Clear(uint session);

    [LibraryImport(LibraryName, EntryPoint = "viFindRsrc", StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int FindResource(uint resourceManager, string expression, out uint findList, out uint count, byte* description);

    [LibraryImport(LibraryName, EntryPoint = "viFindNext")]
    public static unsafe partial int FindNext(uint findList, byte* description);

    [LibraryImport(LibraryName, EntryPoint = "viStatusDesc")]
    public static unsafe partial int StatusDescription(uint session, int status, byte* description);
}
