using CimHil.Instruments.Resources;

namespace CimHil.Instruments.Transports.Serial;

/// <summary>The operating system's name for the port of an <c>ASRL</c> resource.</summary>
public static class SerialPortNames
{
    /// <summary>
    /// An explicit device path is used as written. <c>ASRLn</c> numbers ports from 1 like COMn (VPP-4.3 section 4.3.1.1):
    /// COMn on Windows, /dev/ttyS(n-1) on Linux (as NI-VISA for Linux maps ASRL1 to /dev/ttyS0). macOS names its ports
    /// after the adapter (/dev/cu.usbserial-XYZ), so there a port is given by its path.
    /// </summary>
    public static string For(SerialResource resource)
    {
        if (resource.DevicePath is { } path)
        {
            return path;
        }

        if (OperatingSystem.IsWindows())
        {
            return $"COM{Math.Max(1, resource.Board)}";
        }

        if (OperatingSystem.IsMacOS())
        {
            throw new InstrumentException(
                resource.Canonical,
                $"{resource.Canonical}: macOS has no numbered serial ports; name the device, for example ASRL/dev/cu.usbserial-1410::INSTR (see 'cimhil instruments resources')");
        }

        return resource.LinuxDevicePath;
    }
}
