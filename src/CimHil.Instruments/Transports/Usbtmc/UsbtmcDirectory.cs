using System.Globalization;
using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Transports.Usbtmc;

/// <summary>
/// Finds the usbtmc driver's devices in sysfs. The driver registers each interface as a usbmisc class device
/// (drivers/usb/class/usbtmc.c, usb_register_dev with name "usbtmc%d"): /sys/class/usbmisc/usbtmcN/device is the
/// USB interface (bInterfaceNumber), and its parent the USB device (idVendor, idProduct, serial, manufacturer, product).
/// </summary>
public static class UsbtmcDirectory
{
    /// <summary>Every usbtmc device present; an empty list when the driver is not loaded (no /sys/class/usbmisc).</summary>
    public static IReadOnlyList<UsbtmcDevice> List(UsbtmcPaths paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var classDir = Path.Combine(paths.SysfsRoot, "class", "usbmisc");
        if (!Directory.Exists(classDir))
        {
            return [];
        }

        var devices = new List<UsbtmcDevice>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(classDir, "usbtmc*").Order(StringComparer.Ordinal))
        {
            var device = Read(entry, paths);
            if (device is not null)
            {
                devices.Add(device);
            }
        }

        return devices;
    }

    /// <summary>The device <paramref name="resource"/> names, or an <see cref="InstrumentIOException"/> listing what is attached.</summary>
    public static UsbtmcDevice Find(UsbResource resource, UsbtmcPaths paths)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var devices = List(paths);
        var match = devices.FirstOrDefault(d => d.Matches(resource));
        if (match is not null)
        {
            return match;
        }

        var attached = devices.Count == 0
            ? $"no usbtmc device is attached ({Path.Combine(paths.SysfsRoot, "class", "usbmisc")} lists none: is the instrument on and the usbtmc kernel module loaded, 'modprobe usbtmc'?)"
            : "attached: " + string.Join(", ", devices.Select(d => $"{d.Resource} at {d.DeviceNode}"));
        throw new InstrumentIOException(resource.Canonical, $"{resource.Canonical}: no usbtmc device has vendor 0x{resource.VendorId:X4}, product 0x{resource.ProductId:X4}, serial '{resource.SerialNumber}'; {attached}");
    }

    private static UsbtmcDevice? Read(string entry, UsbtmcPaths paths)
    {
        // The kernel resolves device/.. physically (through the symlinks), but .NET normalises ".." lexically, so the
        // links are followed here one at a time: class entry -> class device -> its "device" (the interface) -> parent.
        var usbInterface = Resolve(Path.Combine(Resolve(entry), "device"));
        var usbDevice = Path.GetDirectoryName(usbInterface);
        if (usbDevice is null)
        {
            return null;
        }

        var vendor = Hex(Path.Combine(usbDevice, "idVendor"));
        var product = Hex(Path.Combine(usbDevice, "idProduct"));
        if (vendor is null || product is null)
        {
            return null;
        }

        return new UsbtmcDevice
        {
            DeviceNode = Path.Combine(paths.DevRoot, Path.GetFileName(entry)),
            VendorId = (ushort)vendor.Value,
            ProductId = (ushort)product.Value,
            SerialNumber = Text(Path.Combine(usbDevice, "serial")) ?? string.Empty,
            InterfaceNumber = Hex(Path.Combine(usbInterface, "bInterfaceNumber")) ?? 0,
            Manufacturer = Text(Path.Combine(usbDevice, "manufacturer")),
            Product = Text(Path.Combine(usbDevice, "product")),
        };
    }

    private static string Resolve(string path)
    {
        var info = new DirectoryInfo(path);
        return info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
    }

    private static string? Text(string file)
    {
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).Trim() : null;
        }
        catch (IOException)
        {
            // A device unplugged while it is being listed: its attributes vanish with it.
            return null;
        }
    }

    /// <summary>sysfs writes USB ids and interface numbers as bare hex ("0957", "00").</summary>
    private static int? Hex(string file) =>
        Text(file) is { } text && int.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) ? value : null;
}
