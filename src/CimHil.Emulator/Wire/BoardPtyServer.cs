using Serilog;

namespace CimHil.Emulator.Wire;

/// <summary>
/// Serves a <see cref="BoardServer"/> on a serial line: a <see cref="PseudoTerminal"/> whose slave side
/// (<see cref="DevicePath"/>, e.g. /dev/pts/7) any serial client opens as <c>ASRL/dev/pts/7::INSTR</c>.
/// </summary>
public sealed class BoardPtyServer : IAsyncDisposable
{
    private readonly BoardServer _board;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly PseudoTerminal _pty = new();
    private Task? _serving;

    public BoardPtyServer(BoardServer board, ILogger logger)
    {
        _board = board;
        _logger = logger;
    }

    /// <summary>The slave device clients open (valid after <see cref="Start"/>).</summary>
    public string DevicePath => _pty.DevicePath;

    /// <summary>The VISA resource string clients open.</summary>
    public string ResourceString => _pty.ResourceString;

    /// <summary>Creates the pseudo-terminal and starts serving it.</summary>
    public void Start()
    {
        _pty.Create();
        _serving = Task.Run(() => _board.ServeAsync(_pty.MasterStream, canDrop: false, DevicePath, _stop.Token));
        _logger.Information("Board serving serial line {Resource}", ResourceString);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_serving is not null)
        {
            await _serving.ConfigureAwait(false);
        }

        _pty.Dispose();
        _stop.Dispose();
    }
}
