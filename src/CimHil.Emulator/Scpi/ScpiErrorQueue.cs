using System.Globalization;

namespace CimHil.Emulator.Scpi;

/// <summary>
/// An instrument's error queue and its Standard Event Status Register, shared by every connection as on a real
/// instrument. Thread-safe.
/// </summary>
internal sealed class ScpiErrorQueue
{
    /// <summary>Queue depth; on overflow the newest entry becomes -350 (SCPI-99 vol. 2 section 21.8.2).</summary>
    public const int Capacity = 32;

    /// <summary>Longest entry text, "Description;detail" (SCPI-99 volume 2, section 21.8: at most 255 characters).</summary>
    public const int MaxTextLength = 255;

    /// <summary>ESR bit 5, command error (IEEE 488.2 section 11.5.1.1).</summary>
    public const int CommandErrorBit = 0x20;

    /// <summary>ESR bit 4, execution error.</summary>
    public const int ExecutionErrorBit = 0x10;

    /// <summary>ESR bit 3, device-dependent error.</summary>
    public const int DeviceErrorBit = 0x08;

    /// <summary>ESR bit 2, query error.</summary>
    public const int QueryErrorBit = 0x04;

    private readonly Lock _gate = new();
    private readonly Queue<(int Code, string Message)> _errors = new();
    private readonly bool _overflowEntry;
    private int _eventStatus;

    /// <summary>
    /// An empty queue. With <paramref name="overflowEntry"/> false a full queue keeps its first entries and adds no -350
    /// (for command sets that define no queue-overflow error, such as the B1500A's FLEX).
    /// </summary>
    public ScpiErrorQueue(bool overflowEntry = true) => _overflowEntry = overflowEntry;

    /// <summary>Entries waiting to be read.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _errors.Count;
            }
        }
    }

    /// <summary>IEEE 488.2 section 11.2: bit 2 = error/event queue not empty (SCPI EAV), bit 5 = ESB summary.</summary>
    public int StatusByte => (Count > 0 ? 0x04 : 0) | (Volatile.Read(ref _eventStatus) != 0 ? 0x20 : 0);

    /// <summary>Adds an entry and sets its class's ESR bit; the text is cut to <see cref="MaxTextLength"/> characters.</summary>
    public void Push(int code, string message)
    {
        ArgumentNullException.ThrowIfNull(message);

        // SCPI-99 limits an error's text to 255 characters; it also keeps 32 entries about a 1 MiB message small.
        if (message.Length > MaxTextLength)
        {
            message = message[..(MaxTextLength - 3)] + "...";
        }

        lock (_gate)
        {
            if (_errors.Count >= Capacity)
            {
                return;
            }

            _errors.Enqueue(_overflowEntry && _errors.Count == Capacity - 1 ? (-350, "Queue overflow") : (code, message));
        }

        var bit = code switch
        {
            <= -100 and > -200 => CommandErrorBit,
            <= -200 and > -300 => ExecutionErrorBit,
            <= -400 and > -500 => QueryErrorBit,
            _ => DeviceErrorBit,
        };
        int current;
        do
        {
            current = Volatile.Read(ref _eventStatus);
        }
        while (Interlocked.CompareExchange(ref _eventStatus, current | bit, current) != current);
    }

    /// <summary>
    /// The oldest entry as <c>code,"text"</c> (a quote inside the text becomes an apostrophe, so the string stays one
    /// string), or <c>0,"<paramref name="noErrorText"/>"</c> when the queue is empty.
    /// </summary>
    public string Next(string noErrorText = "No error")
    {
        var (code, message) = TryDequeue(out var entry) ? entry : (0, noErrorText);
        return $"{code.ToString(CultureInfo.InvariantCulture)},\"{message.Replace('"', '\'')}\"";
    }

    /// <summary>Takes the oldest entry, if any.</summary>
    public bool TryDequeue(out (int Code, string Message) entry)
    {
        lock (_gate)
        {
            return _errors.TryDequeue(out entry);
        }
    }

    /// <summary>*ESR?: the event status register, cleared by reading.</summary>
    public int ReadEventStatus() => Interlocked.Exchange(ref _eventStatus, 0);

    /// <summary>*CLS: empties the queue and the event status register.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _errors.Clear();
        }

        Interlocked.Exchange(ref _eventStatus, 0);
    }
}
