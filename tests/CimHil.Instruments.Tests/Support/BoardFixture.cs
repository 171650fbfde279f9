using CimHil.Core.Config;
using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Transports;
using Serilog;

namespace CimHil.Instruments.Tests.Support;

/// <summary>A board server on a real loopback TCP port over a <see cref="TestChip"/>, and sessions connected to it.</summary>
internal sealed class BoardFixture : IAsyncDisposable
{
    private BoardFixture(TestChip chip, BoardServer board, BoardTcpServer tcp)
    {
        Chip = chip;
        Board = board;
        Tcp = tcp;
    }

    public TestChip Chip { get; }

    public BoardServer Board { get; }

    public BoardTcpServer Tcp { get; }

    public static ILogger Logger { get; } = new LoggerConfiguration().MinimumLevel.Verbose().CreateLogger();

    /// <summary>Short retry delays; a 1 s timeout that a loaded CI machine never hits by accident.</summary>
    public static TransportConfig FastConfig { get; } = TransportConfig.Default with
    {
        TimeoutSeconds = 1.0,
        ConnectTimeoutSeconds = 1,
        Retries = 3,
        RetryBaseDelaySeconds = 0.005,
        RetryMaxDelaySeconds = 0.02,
        BreakerMinimumThroughput = 4,
        BreakerFailureRatio = 0.8,
        BreakerSamplingSeconds = 10,
        BreakerBreakSeconds = 30,
    };

    /// <summary>For tests that expect a timeout: 0.25 s so they stay fast.</summary>
    public static TransportConfig ShortTimeout { get; } = FastConfig with { TimeoutSeconds = 0.25 };

    public static BoardFixture Start(int rows = 8, int columns = 8)
    {
        var chip = new TestChip(rows, columns);
        var board = new BoardServer(chip, Logger);
        var tcp = new BoardTcpServer(board, Logger);
        tcp.Start();
        return new BoardFixture(chip, board, tcp);
    }

    public Task<ScpiSession> ConnectAsync(TransportConfig? config = null) =>
        ScpiSession.OpenAsync(Tcp.ResourceString, new TransportOptions { Config = config ?? FastConfig }, Logger, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        await Tcp.DisposeAsync();
        Board.Dispose();
    }
}
