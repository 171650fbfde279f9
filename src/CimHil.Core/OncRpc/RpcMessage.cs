namespace CimHil.Core.OncRpc;

/// <summary>The header of an ONC RPC call as a server sees it (RFC 1831 section 8, <c>call_body</c>).</summary>
public readonly record struct RpcCall(uint Xid, uint Program, uint Version, uint Procedure);

/// <summary>Whether an accepted call ran (RFC 1831 section 8, <c>accept_stat</c>).</summary>
public enum RpcAcceptStatus : uint
{
    Success = 0,
    ProgramUnavailable = 1,
    ProgramMismatch = 2,
    ProcedureUnavailable = 3,
    GarbageArguments = 4,
    SystemError = 5,
}

/// <summary>Encodes and decodes ONC RPC version 2 message headers (RFC 1831 section 8) with AUTH_NONE credentials.</summary>
public static class RpcMessage
{
    private const uint Call = 0;
    private const uint Reply = 1;
    private const uint RpcVersion = 2;
    private const uint MsgAccepted = 0;
    private const uint AuthNone = 0;

    /// <summary>Largest credential or verifier body RFC 1831 section 9 allows.</summary>
    private const int MaxAuthBytes = 400;

    /// <summary>A call header with AUTH_NONE credential and verifier; the caller appends the arguments.</summary>
    public static XdrWriter WriteCall(uint xid, uint program, uint version, uint procedure) =>
        new XdrWriter().UInt(xid).UInt(Call).UInt(RpcVersion).UInt(program).UInt(version).UInt(procedure)
            .UInt(AuthNone).Opaque([]).UInt(AuthNone).Opaque([]);

    /// <summary>Reads a call header (skipping whatever credential was sent); the reader is left at the arguments.</summary>
    public static RpcCall ReadCall(XdrReader reader)
    {
        var xid = reader.UInt();
        if (reader.UInt() != Call)
        {
            throw new XdrFormatException("expected an RPC call");
        }

        if (reader.UInt() != RpcVersion)
        {
            throw new XdrFormatException("only ONC RPC version 2 is spoken");
        }

        var call = new RpcCall(xid, reader.UInt(), reader.UInt(), reader.UInt());
        reader.UInt();
        reader.Opaque(MaxAuthBytes);
        reader.UInt();
        reader.Opaque(MaxAuthBytes);
        return call;
    }

    /// <summary>An accepted reply header with a null verifier; on success the caller appends the results.</summary>
    public static XdrWriter WriteReply(uint xid, RpcAcceptStatus status) =>
        new XdrWriter().UInt(xid).UInt(Reply).UInt(MsgAccepted).UInt(AuthNone).Opaque([]).UInt((uint)status);

    /// <summary>Reads a reply header for call <paramref name="xid"/>; the reader is left at the results. Throws <see cref="RpcException"/> unless it succeeded.</summary>
    public static void ReadReply(XdrReader reader, uint xid)
    {
        var got = reader.UInt();
        if (got != xid || reader.UInt() != Reply)
        {
            throw new RpcException($"reply xid {got} does not answer call {xid}");
        }

        if (reader.UInt() != MsgAccepted)
        {
            throw new RpcException("the server denied the call (RPC version mismatch or authentication refused)");
        }

        reader.UInt();
        reader.Opaque(MaxAuthBytes);
        var status = (RpcAcceptStatus)reader.UInt();
        if (status != RpcAcceptStatus.Success)
        {
            throw new RpcException($"the server did not run the call: {status}");
        }
    }
}

/// <summary>An RPC call that the server refused or answered out of protocol.</summary>
public sealed class RpcException(string message) : Exception($"ONC RPC: {message}");
