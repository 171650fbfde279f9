namespace CimHil.Drivers.Tests.Support;

/// <summary>Which LAN wire a board rig serves the emulated board on.</summary>
public enum BoardLink
{
    /// <summary>A raw TCP socket (<c>::SOCKET</c>).</summary>
    Socket,

    /// <summary>VXI-11 (<c>::inst0::INSTR</c>), the portmapper on an ephemeral port.</summary>
    Vxi11,

    /// <summary>HiSLIP (<c>::hislip0,port::INSTR</c>) on an ephemeral port.</summary>
    HiSlip,
}
