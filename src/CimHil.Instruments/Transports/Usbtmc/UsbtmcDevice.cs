using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Transports.Usbtmc;

/// <summary>One /dev/usbtmcN and the identity of the USB device behind it, as sysfs reports it.</summary>
public sealed record UsbtmcDevice
{
    /// <summary>What the resource string says for a device without an iSerialNumber (the serial field cannot be empty).</summary>
    public const string NoSerial = "NONE";

    /// <summary>The character device, for example /dev/usbtmc0.</summary>
    public required string DeviceNode { get; init; }

    public required ushort VendorId { get; init; }

    public required ushort ProductId { get; init; }

    /// <summary>iSerialNumber string; empty when the device has none.</summary>
    public required string SerialNumber { get; init; }

    public required int InterfaceNumber { get; init; }

    /// <summary>iManufacturer string, or null.</summary>
    public string? Manufacturer { get; init; }

    /// <summary>iProduct string, or null.</summary>
    public string? Product { get; init; }

    /// <summary>The VISA resource string that reaches this device (interface number only when it is not 0).</summary>
    public string Resource => new UsbResource
    {
        Original = string.Empty,
        VendorId = VendorId,
        ProductId = ProductId,
        SerialNumber = SerialNumber.Length == 0 ? NoSerial : SerialNumber,
        InterfaceNumber = InterfaceNumber == 0 ? null : InterfaceNumber,
    }.Canonical;

    /// <summary>True when this device is the one <paramref name="resource"/> names (VPP-4.3 section 4.3.1.1: vid, pid, serial, interface).</summary>
    public bool Matches(UsbResource resource) =>
        resource.VendorId == VendorId
        && resource.ProductId == ProductId
        && string.Equals(resource.SerialNumber, SerialNumber.Length == 0 ? NoSerial : SerialNumber, StringComparison.Ordinal)
        && (resource.InterfaceNumber ?? InterfaceNumber) == InterfaceNumber;
}
