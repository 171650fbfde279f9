using CimHil.Core.OncRpc;

namespace CimHil.Instruments.Transports.Vxi11;

/// <summary>The client side of the portmapper (RFC 1833 section 3, PMAPPROC_GETPORT over TCP).</summary>
internal static class Portmapper
{
    /// <summary>The TCP port of <paramref name="program"/> version <paramref name="version"/>, or 0 when it is not registered.</summary>
    public static async Task<int> GetPortAsync(string host, int portmapperPort, uint program, uint version, CancellationToken cancellationToken)
    {
        await using var connection = await OncRpcConnection.ConnectAsync(host, portmapperPort, 1024, cancellationToken).ConfigureAwait(false);

        // mapping = {prog, vers, prot, port}; the port is ignored in a GETPORT query.
        var reader = await connection.CallAsync(
            Vxi11Wire.PortmapperProgram, Vxi11Wire.PortmapperVersion, Vxi11Wire.PortmapperGetPort,
            w => w.UInt(program).UInt(version).UInt(Vxi11Wire.ProtocolTcp).UInt(0), cancellationToken).ConfigureAwait(false);
        return (int)reader.UInt();
    }
}
