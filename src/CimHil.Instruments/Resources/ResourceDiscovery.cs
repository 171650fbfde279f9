using System.IO.Ports;
using CimHil.Core.Config;
using CimHil.Instruments.Transports.Usbtmc;
using CimHil.Instruments.Transports.Visa;

namespace CimHil.Instruments.Resources;

/// <summary>
/// What can be reached from this machine, without opening anything (like PyVISA's <c>list_resources</c>): serial ports,
/// usbtmc devices with their sysfs identities, the vendor VISA's own list, and the LAN instruments hil-config.json names.
/// </summary>
public static class ResourceDiscovery
{
    /// <summary>Lists every source; a source that fails (a broken VISA install) adds a note instead of hiding the rest.</summary>
    public static IReadOnlyList<DiscoveredResource> List(InstrumentsConfig? instruments, bool askVendorVisa, UsbtmcPaths usbtmc, ICollection<string> notes)
    {
        ArgumentNullException.ThrowIfNull(notes);
        var found = new List<DiscoveredResource>();

        // System.IO.Ports lists /dev/ttyS*, ttyUSB*, ttyACM* … that have a driver (Linux), /dev/tty.* and cu.* (macOS), COMn (Windows).
        foreach (var port in SerialPort.GetPortNames().Order(StringComparer.Ordinal))
        {
            var resource = port.StartsWith("COM", StringComparison.OrdinalIgnoreCase) && int.TryParse(port.AsSpan(3), out var n)
                ? $"ASRL{n}::INSTR"
                : $"ASRL{port}::INSTR";
            found.Add(new DiscoveredResource(resource, "serial", port));
        }

        if (OperatingSystem.IsLinux())
        {
            foreach (var device in UsbtmcDirectory.List(usbtmc))
            {
                var identity = string.Join(' ', new[] { device.Manufacturer, device.Product }.Where(s => !string.IsNullOrEmpty(s)));
                found.Add(new DiscoveredResource(device.Resource, "usbtmc", $"{device.DeviceNode}{(identity.Length > 0 ? $" ({identity})" : string.Empty)}"));
            }
        }

        if (askVendorVisa)
        {
            if (VisaLibrary.IsAvailable())
            {
                try
                {
                    found.AddRange(VisaLibrary.FindResources().Select(r => new DiscoveredResource(r, "visa", $"viFindRsrc in {VisaLibrary.LoadedFrom}")));
                }
                catch (Exception ex) when (ex is InvalidOperationException or DllNotFoundException or EntryPointNotFoundException)
                {
                    notes.Add($"the vendor VISA's resource list failed: {ex.Message}");
                }
            }
            else
            {
                notes.Add("no vendor VISA library is installed: GPIB resources cannot be listed or reached");
            }
        }

        foreach (var (alias, resource) in (instruments?.Aliases ?? new Dictionary<string, string>()).OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            if (VisaResourceParser.TryParse(resource, out var parsed, out var error))
            {
                if (parsed is TcpSocketResource or TcpInstrResource)
                {
                    found.Add(new DiscoveredResource(parsed.Canonical, "config", $"instruments.aliases.{alias}"));
                }
            }
            else
            {
                notes.Add($"instruments.aliases.{alias}: {error}");
            }
        }

        return found;
    }
}
