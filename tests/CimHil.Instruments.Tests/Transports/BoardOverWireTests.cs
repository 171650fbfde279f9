using CimHil.Emulator.Wire;
using CimHil.Instruments.Scpi;
using CimHil.Instruments.Tests.Support;

namespace CimHil.Instruments.Tests.Transports;

/// <summary>The whole stack over a real loopback wire against the board server; run once per transport.</summary>
public abstract class BoardOverWireTests(BoardWire wire)
{
    [Fact]
    public async Task Identify_ReturnsTheChipIdentity()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        var id = await session.IdentifyAsync(CancellationToken.None);
        Assert.Equal(new InstrumentIdentity("CimHil", "Test chip", "T-0001", "test-1"), id);
    }

    [Fact]
    public async Task Geometry_AndCellRead_MatchTheChip()
    {
        await using var board = Start(rows: 5, columns: 7);
        await using var session = await board.ConnectAsync();
        Assert.Equal("5,7", await session.QueryAsync("ARR:GEOM?", CancellationToken.None));
        Assert.Equal(TestChip.CurrentA(3, 4, 0.2), await session.QueryDoubleAsync("CELL:READ? 3,4,0.2", CancellationToken.None));
    }

    [Theory]
    [InlineData("REAL,64", false)]
    [InlineData("REAL,32", true)]
    public async Task BlockRead_DecodesEveryCellExactly(string format, bool single)
    {
        await using var board = Start(rows: 16, columns: 16);
        await using var session = await board.ConnectAsync();
        await session.ExecuteAsync($"FORM {format}", CancellationToken.None);
        var payload = await session.QueryBlockAsync("BLK:READ? 2,3,10,12,0.3", CancellationToken.None);
        var values = single ? BinaryBlock.DecodeSingles(payload) : BinaryBlock.DecodeDoubles(payload);
        Assert.Equal(120, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var expected = TestChip.CurrentA(2 + (i / 12), 3 + (i % 12), 0.3);
            Assert.Equal(single ? (float)expected : expected, values[i]);
        }
    }

    [Fact]
    public async Task UndefinedHeader_RaisesMinus113WithTheCommand()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        var ex = await Assert.ThrowsAsync<ScpiErrorException>(() => session.ExecuteAsync("CELL:ZAP 1,1", CancellationToken.None));
        Assert.Equal((-113, "CELL:ZAP 1,1"), (ex.Code, ex.Command));
        Assert.StartsWith("Undefined header", ex.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OutOfRangeQuery_IsSilentOnTheWireButRaisesMinus222()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync(BoardFixture.ShortTimeout);
        var ex = await Assert.ThrowsAsync<ScpiErrorException>(() => session.QueryAsync("CELL:READ? 8,0,0.2", CancellationToken.None));
        Assert.Equal((-222, "CELL:READ? 8,0,0.2"), (ex.Code, ex.Command));
        Assert.Contains("(8,0)", ex.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(await session.DrainErrorsAsync(CancellationToken.None));
    }

    [Fact]
    public async Task MissingParameter_RaisesMinus109()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        var ex = await Assert.ThrowsAsync<ScpiErrorException>(() => session.ExecuteNonIdempotentAsync("CELL:PROG 1,1,SET", CancellationToken.None));
        Assert.Equal(-109, ex.Code);
        Assert.Equal(0, board.Board.PulsesApplied);
    }

    [Fact]
    public async Task ProgramPulse_IsAppliedExactlyOnce()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        await session.ExecuteNonIdempotentAsync("CELL:PROG 1,2,SET,1.2,1e-6,1.5,1e-4", CancellationToken.None);
        Assert.Equal((1, 1L), (board.Board.PulsesApplied, board.Chip.Pulses));
        Assert.Equal("1", await session.QueryAsync("SYST:PULS:COUN?", CancellationToken.None));
    }

    [Fact]
    public async Task VirtualClock_AdvancesOverTheWire()
    {
        await using var board = Start();
        await using var session = await board.ConnectAsync();
        var before = await session.QueryDoubleAsync("SYST:CLOC?", CancellationToken.None);
        await session.ExecuteNonIdempotentAsync("SYST:CLOC:ADV 86400", CancellationToken.None);
        var after = await session.QueryDoubleAsync("SYST:CLOC?", CancellationToken.None);
        Assert.Equal(86400, after - before, 1e-6);
        Assert.Equal((VirtualClockEpochSeconds(), 86400.0), (before, (board.Chip.Clock.Now - CimHil.Core.Chip.VirtualClock.DefaultEpoch).TotalSeconds));
    }

    [Fact]
    public async Task Vmm_ReturnsColumnCurrentsInAscii()
    {
        await using var board = Start(rows: 2, columns: 3);
        await using var session = await board.ConnectAsync();
        var reply = await session.QueryAsync("ARR:VMM? 0.1,0.2", CancellationToken.None);
        var values = reply.Split(',').Select(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, values.Length);
        Assert.Equal(TestChip.CurrentA(0, 2, 0.1) + TestChip.CurrentA(1, 2, 0.2), values[2], 1e-20);
    }

    private BoardFixture Start(int rows = 8, int columns = 8) => BoardFixture.Start(rows, columns, wire);

    private static double VirtualClockEpochSeconds() => (CimHil.Core.Chip.VirtualClock.DefaultEpoch - DateTimeOffset.UnixEpoch).TotalSeconds;
}
