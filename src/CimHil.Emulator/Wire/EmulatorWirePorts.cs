using CimHil.Core.Config;
using CimHil.Core.HiSlip;
using CimHil.Core.OncRpc;

namespace CimHil.Emulator.Wire;

/// <summary>
/// The ports <c>cimhil emulator serve</c> listens on for VXI-11's portmapper and for HiSLIP when the command line does not
/// say (hil-config.json <c>emulator.portmapperPort</c>, <c>emulator.hislipPort</c>): 111 (RFC 1833) and 4880 (IVI-6.1)
/// by default, which real VISA clients expect; a bench PC without root or with rpcbind running sets another port.
/// </summary>
public sealed record EmulatorWirePorts
{
    /// <summary>The config keys, under <c>emulator</c>.</summary>
    public const string PortmapperKey = "portmapperPort";

    public const string HiSlipKey = "hislipPort";

    public static EmulatorWirePorts Defaults { get; } = new();

    /// <summary>Where the VXI-11 portmapper listens (0: a free port).</summary>
    public int PortmapperPort { get; init; } = Vxi11Wire.PortmapperPort;

    /// <summary>Where the HiSLIP server listens (0: a free port).</summary>
    public int HiSlipPort { get; init; } = HiSlipWire.DefaultPort;

    /// <summary>Reads both keys from the <c>emulator</c> section; an out-of-range port is an error naming its JSON path.</summary>
    public static EmulatorWirePorts Parse(JsonSection emulator)
    {
        ArgumentNullException.ThrowIfNull(emulator);
        return new EmulatorWirePorts
        {
            PortmapperPort = emulator.Int(PortmapperKey, Defaults.PortmapperPort, 0, 65535),
            HiSlipPort = emulator.Int(HiSlipKey, Defaults.HiSlipPort, 0, 65535),
        };
    }
}
