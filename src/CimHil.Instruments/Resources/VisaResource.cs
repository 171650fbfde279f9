using System.Globalization;

namespace CimHil.Instruments.Resources;

/// <summary>The interface family of a VISA resource string (VPP-4.3, section 4.3.1.1 "Address String Grammar").</summary>
public enum InterfaceKind
{
    Tcpip,
    Serial,
    Gpib,
    Usb,
}

/// <summary>A parsed VISA resource string; <see cref="Canonical"/> is the normalised form sent to a VISA library.</summary>
public abstract record VisaResource
{
    /// <summary>The text as the user wrote it.</summary>
    public required string Original { get; init; }

    /// <summary>The board number (the n of TCPIP[n], ASRL n, GPIB[n], USB[n]); 0 when omitted.</summary>
    public int Board { get; init; }

    public abstract InterfaceKind Kind { get; }

    /// <summary>Upper-case, board-explicit form (for example <c>TCPIP0::10.0.0.5::5025::SOCKET</c>).</summary>
    public abstract string Canonical { get; }

    public override string ToString() => Canonical;

    /// <summary>Parses any supported form; throws <see cref="ResourceFormatException"/> naming the offending part.</summary>
    public static VisaResource Parse(string resource) => VisaResourceParser.Parse(resource);
}

/// <summary><c>TCPIP[n]::host::port::SOCKET</c>: a raw socket, SCPI over TCP (typically port 5025).</summary>
public sealed record TcpSocketResource : VisaResource
{
    public required string Host { get; init; }

    public required int Port { get; init; }

    public override InterfaceKind Kind => InterfaceKind.Tcpip;

    public override string Canonical => $"TCPIP{Board}::{Host}::{Port}::SOCKET";
}

/// <summary><c>TCPIP[n]::host[::device]::INSTR</c>: VXI-11 (device inst0, gpib0,n…) or HiSLIP (hislip0), served by a VISA library.</summary>
public sealed record TcpInstrResource : VisaResource
{
    public required string Host { get; init; }

    /// <summary>The LAN device name; <c>inst0</c> when omitted (VXI-11 default).</summary>
    public string Device { get; init; } = "inst0";

    public bool IsHiSlip => Device.StartsWith("hislip", StringComparison.OrdinalIgnoreCase);

    public override InterfaceKind Kind => InterfaceKind.Tcpip;

    public override string Canonical => $"TCPIP{Board}::{Host}::{Device}::INSTR";
}

/// <summary><c>ASRL&lt;n&gt;::INSTR</c> (COM n) or <c>ASRL/dev/ttyX::INSTR</c> (a device path, as PyVISA-py and NI-VISA on Linux accept).</summary>
public sealed record SerialResource : VisaResource
{
    /// <summary>The device path when given explicitly (for example <c>/dev/ttyUSB0</c>), else null.</summary>
    public string? DevicePath { get; init; }

    public override InterfaceKind Kind => InterfaceKind.Serial;

    public override string Canonical => DevicePath is null ? $"ASRL{Board}::INSTR" : $"ASRL{DevicePath}::INSTR";

    /// <summary>
    /// The Linux device file: the explicit path, else /dev/ttyS(n-1) because VISA numbers ports from 1
    /// like COM1 (NI-VISA for Linux maps ASRL1 to /dev/ttyS0).
    /// </summary>
    public string LinuxDevicePath => DevicePath ?? $"/dev/ttyS{Math.Max(0, Board - 1)}";
}

/// <summary><c>GPIB[n]::primary[::secondary]::INSTR</c>.</summary>
public sealed record GpibResource : VisaResource
{
    /// <summary>Primary address 0–30 (IEEE 488.1 allows 31 talk/listen addresses, 31 is untalk/unlisten).</summary>
    public required int PrimaryAddress { get; init; }

    /// <summary>Secondary address 0–31 or null; VISA also accepts the raw 96–126 form and maps it down.</summary>
    public int? SecondaryAddress { get; init; }

    public override InterfaceKind Kind => InterfaceKind.Gpib;

    public override string Canonical =>
        SecondaryAddress is { } s ? $"GPIB{Board}::{PrimaryAddress}::{s}::INSTR" : $"GPIB{Board}::{PrimaryAddress}::INSTR";
}

/// <summary><c>USB[n]::vid::pid::serial[::interface]::INSTR</c> (USBTMC).</summary>
public sealed record UsbResource : VisaResource
{
    public required ushort VendorId { get; init; }

    public required ushort ProductId { get; init; }

    public required string SerialNumber { get; init; }

    public int? InterfaceNumber { get; init; }

    public override InterfaceKind Kind => InterfaceKind.Usb;

    public override string Canonical =>
        $"USB{Board}::0x{VendorId:X4}::0x{ProductId:X4}::{SerialNumber}" + (InterfaceNumber is { } i ? $"::{i}" : string.Empty) + "::INSTR";
}

/// <summary>A resource string that is not valid VISA syntax; the message names the string, the part and what was expected.</summary>
public sealed class ResourceFormatException(string resource, string problem)
    : FormatException($"'{resource}' is not a valid VISA resource string: {problem}")
{
    public string Resource { get; } = resource;

    public string Problem { get; } = problem;
}

/// <summary>Parses VISA resource strings (grammar of VPP-4.3 section 4.3.1.1, case-insensitive keywords).</summary>
public static class VisaResourceParser
{
    /// <summary>Parses <paramref name="resource"/> or throws <see cref="ResourceFormatException"/>.</summary>
    public static VisaResource Parse(string resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var text = resource.Trim();
        if (text.Length == 0)
        {
            throw new ResourceFormatException(resource, "it is empty");
        }

        if (StartsWith(text, "ASRL"))
        {
            return ParseSerial(resource, text);
        }

        var parts = text.Split("::");
        if (parts.Any(p => p.Length == 0))
        {
            throw new ResourceFormatException(resource, "it has an empty field between '::' separators");
        }

        var head = parts[0];
        if (StartsWith(head, "TCPIP"))
        {
            return ParseTcpip(resource, parts, Board(resource, head, "TCPIP"));
        }

        if (StartsWith(head, "GPIB"))
        {
            return ParseGpib(resource, parts, Board(resource, head, "GPIB"));
        }

        if (StartsWith(head, "USB"))
        {
            return ParseUsb(resource, parts, Board(resource, head, "USB"));
        }

        throw new ResourceFormatException(resource, $"unknown interface '{head}'; expected TCPIP, ASRL, GPIB or USB");
    }

    /// <summary>Parses without throwing; the error text is returned for display.</summary>
    public static bool TryParse(string resource, out VisaResource? parsed, out string? error)
    {
        try
        {
            parsed = Parse(resource);
            error = null;
            return true;
        }
        catch (ResourceFormatException ex)
        {
            parsed = null;
            error = ex.Message;
            return false;
        }
    }

    private static VisaResource ParseTcpip(string resource, string[] parts, int board)
    {
        var last = parts[^1];
        if (Is(last, "SOCKET"))
        {
            if (parts.Length != 4)
            {
                throw new ResourceFormatException(resource, "a socket resource is TCPIP[n]::host::port::SOCKET");
            }

            return new TcpSocketResource { Original = resource, Board = board, Host = Host(resource, parts[1]), Port = Port(resource, parts[2]) };
        }

        if (Is(last, "INSTR"))
        {
            return parts.Length switch
            {
                3 => new TcpInstrResource { Original = resource, Board = board, Host = Host(resource, parts[1]) },
                4 => new TcpInstrResource { Original = resource, Board = board, Host = Host(resource, parts[1]), Device = parts[2] },
                _ => throw new ResourceFormatException(resource, "a LAN instrument is TCPIP[n]::host[::device]::INSTR"),
            };
        }

        throw new ResourceFormatException(resource, $"a TCPIP resource ends in ::SOCKET or ::INSTR, not ::{last}");
    }

    private static SerialResource ParseSerial(string resource, string text)
    {
        if (!text.EndsWith("::INSTR", StringComparison.OrdinalIgnoreCase))
        {
            throw new ResourceFormatException(resource, "a serial resource is ASRL<n>::INSTR or ASRL/dev/ttyX::INSTR");
        }

        var middle = text[4..^"::INSTR".Length];
        if (middle.Length == 0)
        {
            throw new ResourceFormatException(resource, "the serial port number or device path is missing after ASRL");
        }

        if (middle.StartsWith('/'))
        {
            if (middle.Contains("::", StringComparison.Ordinal) || middle.EndsWith('/'))
            {
                throw new ResourceFormatException(resource, $"'{middle}' is not a device path");
            }

            return new SerialResource { Original = resource, DevicePath = middle };
        }

        if (!int.TryParse(middle, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port < 0)
        {
            throw new ResourceFormatException(resource, $"serial port '{middle}' is neither a number nor an absolute device path");
        }

        return new SerialResource { Original = resource, Board = port };
    }

    private static GpibResource ParseGpib(string resource, string[] parts, int board)
    {
        if (!Is(parts[^1], "INSTR") || parts.Length is < 3 or > 4)
        {
            throw new ResourceFormatException(resource, "a GPIB instrument is GPIB[n]::primary[::secondary]::INSTR");
        }

        var primary = Integer(resource, parts[1], "GPIB primary address", 0, 30);
        int? secondary = null;
        if (parts.Length == 4)
        {
            var s = Integer(resource, parts[2], "GPIB secondary address", 0, 126);
            // IEEE 488.1 sends secondary addresses as 96..126 on the bus; VISA accepts both forms (VPP-4.3 4.3.1.1).
            secondary = s switch
            {
                <= 30 => s,
                >= 96 => s - 96,
                _ => throw new ResourceFormatException(resource, $"GPIB secondary address {s} is outside 0–30 (or 96–126)"),
            };
        }

        return new GpibResource { Original = resource, Board = board, PrimaryAddress = primary, SecondaryAddress = secondary };
    }

    private static UsbResource ParseUsb(string resource, string[] parts, int board)
    {
        if (!Is(parts[^1], "INSTR") || parts.Length is < 5 or > 6)
        {
            throw new ResourceFormatException(resource, "a USB instrument is USB[n]::vid::pid::serial[::interface]::INSTR");
        }

        return new UsbResource
        {
            Original = resource,
            Board = board,
            VendorId = (ushort)Integer(resource, parts[1], "USB vendor id", 0, 0xFFFF),
            ProductId = (ushort)Integer(resource, parts[2], "USB product id", 0, 0xFFFF),
            SerialNumber = parts[3],
            InterfaceNumber = parts.Length == 6 ? Integer(resource, parts[4], "USB interface number", 0, 255) : null,
        };
    }

    private static int Board(string resource, string head, string keyword)
    {
        var digits = head[keyword.Length..];
        if (digits.Length == 0)
        {
            return 0;
        }

        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var board))
        {
            throw new ResourceFormatException(resource, $"board number '{digits}' after {keyword} is not a number");
        }

        return board;
    }

    private static string Host(string resource, string host)
    {
        if (host.Any(char.IsWhiteSpace))
        {
            throw new ResourceFormatException(resource, $"host '{host}' contains white space");
        }

        return host;
    }

    private static int Port(string resource, string text) => Integer(resource, text, "TCP port", 1, 65535);

    /// <summary>Decimal or 0x-hex integer within [min, max] (USB ids are usually written in hex).</summary>
    private static int Integer(string resource, string text, string what, int min, int max)
    {
        var ok = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value)
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok)
        {
            throw new ResourceFormatException(resource, $"{what} '{text}' is not an integer");
        }

        if (value < min || value > max)
        {
            throw new ResourceFormatException(resource, $"{what} {value} is outside {min}–{max}");
        }

        return value;
    }

    private static bool StartsWith(string text, string keyword) => text.StartsWith(keyword, StringComparison.OrdinalIgnoreCase);

    private static bool Is(string text, string keyword) => string.Equals(text, keyword, StringComparison.OrdinalIgnoreCase);
}
