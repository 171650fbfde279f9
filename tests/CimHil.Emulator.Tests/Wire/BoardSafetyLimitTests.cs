using System.Globalization;
using CimHil.Core.Safety;
using CimHil.Emulator.Wire;
using Serilog;

namespace CimHil.Emulator.Tests.Wire;

/// <summary>
/// Every command that puts a voltage on the array, over a real TCP socket, against the limits the board is configured
/// with (default: <see cref="SafetyLimits.Default"/> — SET 3 V, RESET 3.5 V, FORM 5 V, read 0.5 V, gate 3 V, 500 µA,
/// 10 ns … 1 ms): out of range it is refused with the SCPI error, answered by silence, and nothing reaches the chip.
/// </summary>
public sealed class BoardSafetyLimitTests
{
    private static readonly ILogger Log = new LoggerConfiguration().CreateLogger();

    /// <summary>The default 64×64 RRAM array, as <c>cimhil emulator serve</c> serves it.</summary>
    private static async Task<Served> ServeAsync(BoardServerOptions? options = null)
    {
        var chip = new EmulatedChip(EmulatorSettings.Defaults);
        var board = new BoardServer(chip, Log, options);
        var tcp = new BoardTcpServer(board, Log);
        tcp.Start();
        var client = await WireClient.ConnectAsync(tcp.Port);
        return new Served(chip, board, tcp, client);
    }

    private static string Vmm(int row, string voltage) =>
        "ARR:VMM? " + string.Join(',', Enumerable.Range(0, 64).Select(r => r == row ? voltage : "0.1"));

    [Fact]
    public async Task Program1000Volts100Seconds10AmpsAndAMegavoltGate_IsRefusedNamingTheAmplitude()
    {
        await using var s = await ServeAsync();
        await s.Client.SendAsync("CELL:PROG 10,10,SET,1000,100,1e6,10\nSYST:ERR?\n");

        Assert.Equal("-222,\"Data out of range;SET pulse refused: |amplitude| 1000 V exceeds the maximum 3 V; nothing was applied\"", await s.Client.ReadLineAsync());
        s.AssertNothingApplied();
        Assert.Equal(0, s.Chip.PulseCount(new Core.Chip.CellAddress(10, 10)));
    }

    [Fact]
    public async Task FormAtAGigavolt_IsRefusedNamingTheAmplitude()
    {
        await using var s = await ServeAsync();
        await s.Client.SendAsync("CELL:FORM? 11,11,1e9,1e-6,1e-4\nSYST:ERR?\n");

        Assert.Equal("-222,\"Data out of range;forming pulse refused: |amplitude| 1E+09 V exceeds the maximum 5 V; nothing was applied\"", await s.Client.ReadLineAsync());
        s.AssertNothingApplied();
    }

    [Theory]
    [InlineData("CELL:PROG 1,1,SET,3.01,1e-6", -222, "|amplitude| 3.01 V exceeds the maximum 3 V")]
    [InlineData("CELL:PROG 1,1,RES,3.6,1e-6", -222, "|amplitude| 3.6 V exceeds the maximum 3.5 V")]
    [InlineData("CELL:PROG 1,1,SET,0,1e-6", -222, "amplitude V 0 must be positive")]
    [InlineData("CELL:PROG 1,1,SET,-1,1e-6", -222, "amplitude V -1 must be positive")]
    [InlineData("CELL:PROG 1,1,SET,1,0", -222, "width s 0 must be positive")]
    [InlineData("CELL:PROG 1,1,SET,1,100", -222, "width 100 s exceeds the maximum 0.001 s")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-9", -222, "width 1E-09 s is below the minimum 1E-08 s")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-6,1e6", -222, "|gate voltage| 1E+06 V exceeds the maximum 3 V")]
    [InlineData("CELL:PROG 1,1,RES,1,1e-6,0", -222, "gate V 0 must be positive")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-6,-2", -222, "gate V -2 must be positive")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-6,DEF,10", -222, "compliance 10 A exceeds the maximum 0.0005 A")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-6,DEF,0", -222, "compliance A 0 must be positive")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-6,DEF,-1e-4", -222, "compliance A -0.0001 must be positive")]
    [InlineData("CELL:PROG 1,1,SET,1e999,1e-6", -222, "amplitude V '1e999' is beyond the range of a double")]
    [InlineData("CELL:PROG 1,1,SET,NaN,1e-6", -104, "amplitude V 'NaN' is not a number")]
    [InlineData("CELL:PROG 1,1,SET,INF,1e-6", -104, "amplitude V 'INF' is not a number")]
    [InlineData("CELL:PROG 1,1,SET,1,Infinity", -104, "width s 'Infinity' is not a number")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-6,-Infinity", -104, "gate V '-Infinity' is not a number")]
    [InlineData("CELL:PROG 1,1,SET,1,1e-6,DEF,nan", -104, "compliance A 'nan' is not a number")]
    [InlineData("CELL:PROG 1,1,UP,1,1e-6", -224, "polarity 'UP' is not SET or RESet")]
    [InlineData("CELL:FORM 1,1,5.5,1e-6,1e-4", -222, "|amplitude| 5.5 V exceeds the maximum 5 V")]
    [InlineData("CELL:FORM? 1,1,4,1e-6,1e-3", -222, "compliance 0.001 A exceeds the maximum 0.0005 A")]
    [InlineData("CELL:FORM? 1,1,4,1e-6,0", -222, "compliance A 0 must be positive")]
    [InlineData("CELL:FORM? 1,1,4,2e-3,1e-4", -222, "width 0.002 s exceeds the maximum 0.001 s")]
    [InlineData("CELL:FORM? 1,1,4,5e-9,1e-4", -222, "width 5E-09 s is below the minimum 1E-08 s")]
    [InlineData("CELL:FORM? 1,1,4,1e-6,1e-4,3.5", -222, "|gate voltage| 3.5 V exceeds the maximum 3 V")]
    [InlineData("CELL:FORM? 1,1,4,1e-6,1e-4,-1", -222, "gate V -1 must be positive")]
    [InlineData("CELL:FORM? 1,1,-4,1e-6,1e-4", -222, "amplitude V -4 must be positive")]
    [InlineData("CELL:FORM? 1,1,4,1e-6,NaN", -104, "compliance A 'NaN' is not a number")]
    [InlineData("CELL:READ? 1,1,0.6", -222, "read refused: read voltage 0.6 V exceeds the maximum 0.5 V")]
    [InlineData("CELL:READ? 1,1,0", -222, "read voltage V 0 must be positive")]
    [InlineData("CELL:READ? 1,1,-0.2", -222, "read voltage V -0.2 must be positive")]
    [InlineData("CELL:READ? 1,1,INF", -104, "read voltage V 'INF' is not a number")]
    [InlineData("ROW:READ? 1,0.6", -222, "row read refused: read voltage 0.6 V exceeds the maximum 0.5 V")]
    [InlineData("ROW:READ? 1,0", -222, "read voltage V 0 must be positive")]
    [InlineData("ROW:READ? 1,NaN", -104, "read voltage V 'NaN' is not a number")]
    [InlineData("BLK:READ? 0,0,2,2,100", -222, "block read refused: read voltage 100 V exceeds the maximum 0.5 V")]
    [InlineData("BLK:READ? 0,0,2,2,-0.1", -222, "read voltage V -0.1 must be positive")]
    [InlineData("VMM 5 0.6", -222, "vector-matrix multiply refused: |row 5 voltage| 0.6 V exceeds the maximum 0.5 V")]
    [InlineData("VMM 63 -0.7", -222, "vector-matrix multiply refused: |row 63 voltage| 0.7 V exceeds the maximum 0.5 V")]
    [InlineData("VMM 0 NaN", -104, "row 0 voltage V 'NaN' is not a number")]
    [InlineData("VMM 2 1e400", -222, "row 2 voltage V '1e400' is beyond the range of a double")]
    public async Task Stimulus_OutOfRange_IsRefusedWithTheScpiErrorAndNothingApplied(string command, int code, string detail)
    {
        var message = command.StartsWith("VMM ", StringComparison.Ordinal)
            ? Vmm(int.Parse(command.Split(' ')[1], CultureInfo.InvariantCulture), command.Split(' ')[2])
            : command;
        await using var s = await ServeAsync();

        // The query after the command is answered first: the refused command (query or not) sent nothing back.
        await s.Client.SendAsync($"{message}\nSYST:ERR?\nSYST:ERR:COUN?\n");

        var error = await s.Client.ReadLineAsync();
        Assert.StartsWith($"{code.ToString(CultureInfo.InvariantCulture)},\"", error, StringComparison.Ordinal);
        Assert.Contains(detail, error, StringComparison.Ordinal);
        Assert.Equal("0", await s.Client.ReadLineAsync());
        s.AssertNothingApplied();
    }

    [Theory]
    [InlineData("CELL:PROG 1,1,SET,3,1e-3,3,5e-4", 1, 0, 0, 0)]
    [InlineData("CELL:PROG 1,1,RESET,3.5,1e-8,DEF,DEF", 1, 0, 0, 0)]
    [InlineData("CELL:FORM 1,1,5,1e-3,5e-4,3", 0, 1, 0, 0)]
    [InlineData("CELL:READ? 1,1,0.5", 0, 0, 1, 0)]
    [InlineData("ROW:READ? 63,0.5", 0, 0, 1, 0)]
    [InlineData("BLK:READ? 60,60,4,4,0.5", 0, 0, 1, 0)]
    [InlineData("VMM 7 -0.5", 0, 0, 0, 1)]
    public async Task Stimulus_AtTheLimits_IsApplied(string command, int pulses, int forming, int reads, int vmms)
    {
        var message = command.StartsWith("VMM ", StringComparison.Ordinal) ? Vmm(7, "-0.5") : command;
        await using var s = await ServeAsync();

        await s.Client.SendAsync($"{message}\n*OPC?\nSYST:ERR?\n");

        if (reads + vmms > 0)
        {
            Assert.NotEmpty(await s.Client.ReadLineAsync());
        }

        Assert.Equal("1", await s.Client.ReadLineAsync());
        Assert.Equal("0,\"No error\"", await s.Client.ReadLineAsync());
        Assert.Equal((pulses, pulses, forming, forming), (s.Board.PulsesApplied, s.Chip.TotalPulses, s.Board.Protocol.FormingPulsesApplied, s.Chip.TotalFormingPulses));
        Assert.Equal((reads, vmms), (s.Chip.ReadOperations, s.Chip.VmmOperations));
    }

    [Fact]
    public async Task FormQuery_InRange_AnswersCurrentAndOutcome()
    {
        await using var s = await ServeAsync();
        await s.Client.SendAsync("CELL:FORM? 2,3,4.0,1e-5,1e-4\n");

        var reply = (await s.Client.ReadLineAsync()).Split(',');

        Assert.Equal(2, reply.Length);
        Assert.True(double.Parse(reply[0], CultureInfo.InvariantCulture) is > 0 and <= 1e-4, $"forming current {reply[0]} A");
        Assert.Equal((1L, 1L), (s.Board.Protocol.FormingPulsesApplied, s.Chip.TotalFormingPulses));
    }

    [Fact]
    public async Task ConfiguredLimits_AreTheOnesEnforced()
    {
        var limits = SafetyLimits.Default with { MaxSetVoltageV = 1.0, MaxReadVoltageV = 0.1 };
        await using var s = await ServeAsync(new BoardServerOptions { Limits = limits });

        await s.Client.SendAsync("CELL:PROG 1,1,SET,1.2,1e-6\nSYST:ERR?\nCELL:READ? 1,1,0.2\nSYST:ERR?\nCELL:PROG 1,1,SET,1.0,1e-6\n*OPC?\n");

        Assert.Contains("|amplitude| 1.2 V exceeds the maximum 1 V", await s.Client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Contains("read voltage 0.2 V exceeds the maximum 0.1 V", await s.Client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal("1", await s.Client.ReadLineAsync());
        Assert.Equal((1L, 1L, 0L), (s.Board.PulsesApplied, s.Chip.TotalPulses, s.Chip.ReadOperations));
        Assert.Same(limits, s.Board.Protocol.Limits);
    }

    [Fact]
    public async Task RefusedPulseInACompoundMessage_StopsTheMessageThere()
    {
        await using var s = await ServeAsync();

        // IEEE 488.2 section 6.1.10: units before the error ran, the refused one and the rest did not.
        await s.Client.SendAsync("CELL:PROG 1,1,SET,1,1e-6;CELL:PROG 1,2,SET,9,1e-6;CELL:PROG 1,3,SET,1,1e-6\nSYST:PULS:COUN?\nSYST:ERR?\n");

        Assert.Equal("1", await s.Client.ReadLineAsync());
        Assert.StartsWith("-222,", await s.Client.ReadLineAsync(), StringComparison.Ordinal);
        Assert.Equal((1, 0, 0), (s.Chip.PulseCount(new(1, 1)), s.Chip.PulseCount(new(1, 2)), s.Chip.PulseCount(new(1, 3))));
    }

    private sealed record Served(EmulatedChip Chip, BoardServer Board, BoardTcpServer Tcp, WireClient Client) : IAsyncDisposable
    {
        /// <summary>No pulse, forming pulse, read or multiply reached the chip, and the board counted none.</summary>
        public void AssertNothingApplied() => Assert.Equal(
            (0L, 0L, 0L, 0L, 0L, 0L),
            (Board.PulsesApplied, Board.Protocol.FormingPulsesApplied, Chip.TotalPulses, Chip.TotalFormingPulses, Chip.ReadOperations, Chip.VmmOperations));

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Tcp.DisposeAsync();
            Board.Dispose();
            await Chip.DisposeAsync();
        }
    }
}
