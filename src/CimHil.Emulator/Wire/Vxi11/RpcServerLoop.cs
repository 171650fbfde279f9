using CimHil.Core.OncRpc;

namespace CimHil.Emulator.Wire.Vxi11;

/// <summary>Answers ONC RPC calls on one TCP stream (RFC 1831 section 10 record marking) in order, until the peer closes it.</summary>
internal static class RpcServerLoop
{
    /// <summary>
    /// Serves calls; <paramref name="dispatch"/> returns the reply (header included) or null to close the connection
    /// without replying (a dropped link). A call whose arguments do not decode is answered GARBAGE_ARGS.
    /// </summary>
    public static async Task ServeAsync(
        Stream stream, int maxRecordBytes, Func<RpcCall, XdrReader, CancellationToken, Task<XdrWriter?>> dispatch, CancellationToken cancellationToken)
    {
        while (await RecordMarking.ReadAsync(stream, maxRecordBytes, cancellationToken).ConfigureAwait(false) is { } record)
        {
            var reader = new XdrReader(record);
            var call = RpcMessage.ReadCall(reader);
            XdrWriter? reply;
            try
            {
                reply = await dispatch(call, reader, cancellationToken).ConfigureAwait(false);
            }
            catch (XdrFormatException)
            {
                reply = RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.GarbageArguments);
            }

            if (reply is null)
            {
                return;
            }

            await RecordMarking.WriteAsync(stream, reply.ToArray(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The reply for a call to a program or version this server does not have (RFC 1831 section 8).</summary>
    public static XdrWriter? Unavailable(RpcCall call, uint program, uint version) =>
        call.Program != program ? RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.ProgramUnavailable)
        : call.Version != version ? RpcMessage.WriteReply(call.Xid, RpcAcceptStatus.ProgramMismatch).UInt(version).UInt(version)
        : null;
}
