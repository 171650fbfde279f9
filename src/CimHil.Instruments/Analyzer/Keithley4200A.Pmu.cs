using System.Globalization;
using CimHil.Instruments.Scpi;

namespace CimHil.Instruments.Analyzer;

/// <summary>
/// The 4225-PMU's pulsed reads and its detection (4200A-SCS reference manual 4200A-901-01, "KXCI commands for the 4225-PMU":
/// <c>:PMU:MEASURE:MODE</c>, <c>:PMU:MEASURE:PIV</c>, <c>:PMU:TIMES:PIV</c>, <c>:PMU:DATA:GET</c>).
/// </summary>
public sealed partial class Keithley4200A
{
    /// <summary>Spot-mean discrete acquisition: one averaged V/I reading per pulse (<c>:PMU:MEASURE:MODE 1</c>).</summary>
    public const string SpotMeanCommand = ":PMU:MEASURE:MODE 1";

    /// <summary>
    /// Start of the spot-mean window as a fraction of the pulse top: 75 % to 90 % keeps the edges' displacement current out of
    /// the mean (the window of Keithley's PMU examples, "MeasStartPerc"/"MeasStopPerc", 4200A-SCS PMU user library).
    /// </summary>
    public const double ReadWindowStart = 0.75;

    /// <summary>End of the spot-mean window as a fraction of the pulse top.</summary>
    public const double ReadWindowStop = 0.9;

    /// <summary>
    /// The setup of one pulsed read on PMU channel <paramref name="pmuChannel"/>: spot-mean acquisition of the pulse top only
    /// (<c>:PMU:MEASURE:PIV ch, 1, 0</c>: high level yes, base no), its window (<c>:PMU:TIMES:PIV ch, start, stop</c>), then the
    /// pulse of <see cref="PulseSetup"/>; every value checked against the declared ranges before anything is sent.
    /// </summary>
    public static IReadOnlyList<string> PulsedReadSetup(int pmuChannel, double levelV, double limitA, double widthSeconds) =>
    [
        SpotMeanCommand,
        $":PMU:MEASURE:PIV {pmuChannel}, 1, 0",
        $":PMU:TIMES:PIV {pmuChannel}, {Num(ReadWindowStart)}, {Num(ReadWindowStop)}",
        .. PulseSetup(pmuChannel, levelV, limitA, widthSeconds),
    ];

    /// <summary><c>:PMU:DATA:GET ch, 0, 1</c>: the first (only) spot-mean record of the last test on the channel.</summary>
    public static string SpotMeanQuery(int pmuChannel)
    {
        RequirePmu(pmuChannel);
        return $":PMU:DATA:GET {pmuChannel}, 0, 1";
    }

    /// <summary>
    /// Parses the first record of a <c>:PMU:DATA:GET</c> reply: records are separated by <c>;</c>, values by <c>,</c>; in
    /// spot-mean mode a record starts with the high level's voltage, current, time and status (VH, IH, TH, SH), followed by
    /// the base level's (VL, IL, TL, SL) when acquired.
    /// </summary>
    public static PmuSpotReading ParseSpotMean(string reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var record = reply.Split(';', 2)[0].Split(',', StringSplitOptions.TrimEntries);
        var numbers = new double[Math.Min(record.Length, 4)];
        var ok = record.Length >= 4;
        for (var i = 0; ok && i < 4; i++)
        {
            ok = double.TryParse(record[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]) && double.IsFinite(numbers[i]);
        }

        return ok
            ? new PmuSpotReading(numbers[0], numbers[1], numbers[2], (long)numbers[3])
            : throw new FormatException($"'{reply}' is not a PMU spot-mean record (VH, IH, TH, SH, …)");
    }

    /// <summary>
    /// Asks whether a 4225-PMU answers: <c>:PMU:INIT 0</c> is acknowledged only when the card is installed. A refusal's last
    /// error is read and cleared, so detection leaves no error behind; the link failing is not "no PMU" and is raised.
    /// </summary>
    public async Task<bool> DetectPmuAsync(CancellationToken cancellationToken)
    {
        var reply = await Session.QueryAsync(PmuInitCommand, cancellationToken).ConfigureAwait(false);
        if (reply.Trim() == Acknowledge)
        {
            return true;
        }

        await Session.QueryAsync(LastErrorQuery, cancellationToken).ConfigureAwait(false);
        await CommandAsync(ClearLastErrorCommand, cancellationToken).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// One pulsed read: the RPM to the PMU, spot-mean acquisition set up, output on, <c>:PMU:EXECUTE</c>, polled until idle,
    /// the reading fetched, output off, the last error checked. A read pulse is at read voltage, so like an SMU read it is
    /// retried after a link failure (the caller checks the level against the read limit before calling).
    /// </summary>
    public async Task<PmuSpotReading> PulsedReadAsync(int pmuChannel, double levelV, double limitA, double widthSeconds, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var setup = PulsedReadSetup(pmuChannel, levelV, limitA, widthSeconds);
        await CommandAsync(RpmCommand(pmuChannel, RpmToPmu), cancellationToken).ConfigureAwait(false);
        foreach (var command in setup)
        {
            await CommandAsync(command, cancellationToken).ConfigureAwait(false);
        }

        await CommandAsync(PmuOutputCommand(pmuChannel, true), cancellationToken).ConfigureAwait(false);
        await CommandAsync(PmuExecuteCommand, cancellationToken).ConfigureAwait(false);
        await WaitForTestAsync(widthSeconds, timeout, Session.QueryAsync, cancellationToken).ConfigureAwait(false);
        var query = SpotMeanQuery(pmuChannel);
        var reply = await Session.QueryAsync(query, cancellationToken).ConfigureAwait(false);
        await CommandAsync(PmuOutputCommand(pmuChannel, false), cancellationToken).ConfigureAwait(false);
        try
        {
            return ParseSpotMean(reply);
        }
        catch (FormatException ex)
        {
            await ThrowIfLastErrorAsync(query, cancellationToken).ConfigureAwait(false);
            throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{reply}' to '{query}': {ex.Message}", ex);
        }
    }

    // Polls :PMU:TEST:STATUS? (1 running, 0 idle) every millisecond until idle, for at most the width plus the timeout.
    private async Task WaitForTestAsync(double widthSeconds, TimeSpan timeout, Func<string, CancellationToken, Task<string>> query, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout + TimeSpan.FromSeconds(widthSeconds);
        while (true)
        {
            var status = (await query(PmuStatusQuery, cancellationToken).ConfigureAwait(false)).Trim();
            if (status == "0")
            {
                return;
            }

            if (status != "1")
            {
                throw new InstrumentProtocolException(Resource, $"{Resource}: reply '{status}' to {PmuStatusQuery} is neither 0 nor 1");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InstrumentTimeoutException(Resource, PmuStatusQuery, timeout);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
        }
    }
}
