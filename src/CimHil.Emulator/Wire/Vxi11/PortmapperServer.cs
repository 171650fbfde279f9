using System.Net;
using CimHil.Core.OncRpc;
using Serilog;

namespace CimHil.Emulator.Wire.Vxi11;

/// <summary>
/// A minimal portmapper (RFC 1833 section 3, program 100000 version 2 over TCP) that knows one mapping: the VXI-11
/// core channel. NULL and GETPORT are answered; SET, UNSET, DUMP and CALLIT are not offered.
/// </summary>
internal sealed class PortmapperServer : IAsyncDisposable
{
    private const uint Null = 0;

    private readonly TcpClientHost _host;
    private readonly Func<int> _corePort;

    public PortmapperServer(IPAddress? address, int port, Func<int> corePort, ILogger logger)
    {
        _corePort = corePort;
        _host = new TcpClientHost(address, port, (stream, _, ct) => RpcServerLoop.ServeAsync(stream, 4096, Dispatch, ct), logger, "Portmapper");
    }

    public int Port => _host.Port;

    public void Start() => _host.Start();

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    private Task<XdrWriter?> Dispatch(RpcCall call, XdrReader arguments, CancellationToken cancellationToken)
    {
        if (RpcServerLoop.Unavailable(call, Vxi11Wire.PortmapperProgram, Vxi11Wire.PortmapperVersion) is { } refused)
        {
            return Task.FromResult<XdrWriter?>(refused);
        }

        switch (call.Procedure)
        {
            case Null:
                return Task.FromResult<XdrWriter?>(RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.Success));
            case Vxi11Wire.PortmapperGetPort:
                var (program, version, protocol) = (arguments.UInt(), arguments.UInt(), arguments.UInt());
                var known = program == Vxi11Wire.DeviceCoreProgram && version == Vxi11Wire.DeviceCoreVersion && protocol == Vxi11Wire.ProtocolTcp;

                // RFC 1833: port 0 means the program is not registered.
                return Task.FromResult<XdrWriter?>(RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.Success).UInt(known ? (uint)_corePort() : 0));
            default:
                return Task.FromResult<XdrWriter?>(RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.ProcedureUnavailable));
        }
    }
}
