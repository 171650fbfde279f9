using System.Net;
using CimHil.Core.Config;
using CimHil.Core.Drivers;

namespace CimHil.Server;

/// <summary>How <c>cimhil serve</c> is set up: the bench, where it listens, who may use it.</summary>
public sealed record BenchServerOptions
{
    /// <summary>The bench configuration (hil-config.json): chip, safety limits, run settings.</summary>
    public required HilConfig Config { get; init; }

    /// <summary>The drivers found beside the program.</summary>
    public required DriverRegistry Drivers { get; init; }

    /// <summary>Address to listen on; loopback unless the user asks for another.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 picks a free one (tests), see <see cref="BenchServer.Url"/>.</summary>
    public int Port { get; init; } = 8750;

    /// <summary>
    /// The access token every request must carry. Required when <see cref="BindAddress"/> is not loopback (any other
    /// machine on the network could otherwise pulse the chip); null on loopback means no token.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>Folder of the run folders (runs/), as <c>run.outputRoot</c>.</summary>
    public required string RunsRoot { get; init; }

    /// <summary>
    /// How long Stop waits for the running procedure to reach its next commit (so the store holds no half-measured unit)
    /// before it cancels the chip operation in flight.
    /// </summary>
    public double StopGraceSeconds { get; init; } = 10;

    /// <summary>Events kept for a client that connects (or reconnects) while an operation runs.</summary>
    public int EventHistory { get; init; } = 20_000;

    /// <summary>
    /// For tests only (null in <c>cimhil serve</c>): holds a characterisation after chosen commits until the test lets it
    /// go, so stop-and-resume tests stop it at a known point rather than racing it.
    /// </summary>
    public Operations.CommitHold? CommitHold { get; init; }

    /// <summary>True when the address is a loopback address (127.0.0.0/8, ::1).</summary>
    public bool IsLoopback => IPAddress.IsLoopback(BindAddress);
}
