namespace CimHil.Instruments.Scpi;

/// <summary>Behaviour switches of a <see cref="ScpiSession"/>; the defaults suit SCPI instruments and the CimHil board.</summary>
public sealed record ScpiSessionOptions
{
    /// <summary>Message terminator appended to every command and expected after every reply (IEEE 488.2 section 7.5: LF).</summary>
    public byte Terminator { get; init; } = (byte)'\n';

    /// <summary>What ends messages sent, where it differs from <see cref="Terminator"/> (which then ends replies only); null: the same.</summary>
    public byte? WriteTerminator { get; init; }

    /// <summary>
    /// The instrument family's termination on a serial line (ASRL), both ways, when hil-config.json
    /// <c>transport.serial.termination</c> names none; null: <see cref="Terminator"/>. Declared by the instrument classes,
    /// each citing its manual.
    /// </summary>
    public byte? SerialTermination { get; init; }

    /// <summary>
    /// The options for a session on a serial line: <paramref name="serial"/>'s configured termination, else this family's
    /// <see cref="SerialTermination"/>, else <see cref="Terminator"/>, ends replies; its <c>writeTermination</c>, else the
    /// same byte, ends messages sent.
    /// </summary>
    public ScpiSessionOptions OnSerialLine(Transports.Serial.SerialSettings serial)
    {
        ArgumentNullException.ThrowIfNull(serial);
        var read = serial.Termination ?? SerialTermination ?? Terminator;
        return this with { Terminator = read, WriteTerminator = serial.WriteTermination ?? (serial.Termination is null ? WriteTerminator ?? read : read) };
    }

    /// <summary>Longest ASCII reply accepted.</summary>
    public int MaxReplyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// When a query gets no reply, read SYST:ERR? on a fresh link: a SCPI instrument stays silent after an erroneous
    /// query (SCPI-99 vol. 1 section 6.2.4), so an error there explains the silence and is raised as <see cref="ScpiErrorException"/>.
    /// </summary>
    public bool ProbeErrorsOnSilentQuery { get; init; } = true;

    /// <summary>
    /// The query that reads the next queued error as <c>code,"message"</c>: SCPI's <c>SYST:ERR?</c>, or an instrument's own
    /// equivalent (Keysight B1500 FLEX: <c>ERRX?</c>, which answers <c>0,"No Error."</c> when the queue is empty).
    /// </summary>
    public string ErrorQuery { get; init; } = "SYST:ERR?";

    /// <summary>Most errors drained by one <see cref="ScpiSession.DrainErrorsAsync"/> (the queue holds at least 2 per SCPI-99; ours 32).</summary>
    public int MaxErrorsDrained { get; init; } = 64;

    public static ScpiSessionOptions Default { get; } = new();
}
