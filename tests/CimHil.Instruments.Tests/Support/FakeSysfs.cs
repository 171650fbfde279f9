using CimHil.Instruments.Transports.Usbtmc;

namespace CimHil.Instruments.Tests.Support;

/// <summary>
/// A temporary sysfs + /dev tree laid out like the kernel's for usbtmc devices: class/usbmisc/usbtmcN is a symlink into
/// devices/…/&lt;interface&gt;/usbmisc/usbtmcN, whose <c>device</c> symlink points at the interface, whose parent is the USB device.
/// </summary>
internal sealed class FakeSysfs : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("cimhil-sysfs-");

    public FakeSysfs()
    {
        Directory.CreateDirectory(Path.Combine(_root.FullName, "sys", "class", "usbmisc"));
        Directory.CreateDirectory(Path.Combine(_root.FullName, "dev"));
    }

    public UsbtmcPaths Paths => new(Path.Combine(_root.FullName, "sys"), Path.Combine(_root.FullName, "dev"));

    /// <summary>Adds usbtmc<paramref name="minor"/> for a device; its /dev node is a symlink to <paramref name="nodeTarget"/> (a pty standing in).</summary>
    public void Add(int minor, string vendorHex, string productHex, string? serial, int interfaceNumber = 0, string? nodeTarget = null, string? manufacturer = null, string? product = null)
    {
        var usbDevice = Path.Combine(_root.FullName, "sys", "devices", "pci0000:00", "usb1", $"1-{minor + 1}");
        var usbInterface = Path.Combine(usbDevice, $"1-{minor + 1}:1.{interfaceNumber}");
        var classDevice = Path.Combine(usbInterface, "usbmisc", $"usbtmc{minor}");
        Directory.CreateDirectory(classDevice);
        File.WriteAllText(Path.Combine(usbDevice, "idVendor"), vendorHex + "\n");
        File.WriteAllText(Path.Combine(usbDevice, "idProduct"), productHex + "\n");
        if (serial is not null)
        {
            File.WriteAllText(Path.Combine(usbDevice, "serial"), serial + "\n");
        }

        if (manufacturer is not null)
        {
            File.WriteAllText(Path.Combine(usbDevice, "manufacturer"), manufacturer + "\n");
        }

        if (product is not null)
        {
            File.WriteAllText(Path.Combine(usbDevice, "product"), product + "\n");
        }

        File.WriteAllText(Path.Combine(usbInterface, "bInterfaceNumber"), $"{interfaceNumber:x2}\n");
        File.CreateSymbolicLink(Path.Combine(classDevice, "device"), "../..");
        File.CreateSymbolicLink(Path.Combine(_root.FullName, "sys", "class", "usbmisc", $"usbtmc{minor}"), classDevice);
        if (nodeTarget is not null)
        {
            File.CreateSymbolicLink(Path.Combine(_root.FullName, "dev", $"usbtmc{minor}"), nodeTarget);
        }
    }

    public void Dispose() => _root.Delete(recursive: true);
}
