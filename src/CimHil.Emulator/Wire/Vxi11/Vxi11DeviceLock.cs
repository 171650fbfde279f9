namespace CimHil.Emulator.Wire.Vxi11;

/// <summary>The device's exclusive lock (VXI-11 section B.6.7): held by at most one link; others wait or get error 11.</summary>
internal sealed class Vxi11DeviceLock
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);
    private readonly Lock _gate = new();
    private int? _owner;

    /// <summary>The link (or HiSLIP session) holding the lock, or null.</summary>
    public int? Owner
    {
        get
        {
            lock (_gate)
            {
                return _owner;
            }
        }
    }

    /// <summary>True when <paramref name="linkId"/> may use the device: nobody, or the link itself, holds the lock.</summary>
    public bool Permits(int linkId)
    {
        lock (_gate)
        {
            return _owner is null || _owner == linkId;
        }
    }

    /// <summary>Waits up to <paramref name="wait"/> for the lock (a zero wait tries once); true when this link holds it.</summary>
    public async Task<bool> AcquireAsync(int linkId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            lock (_gate)
            {
                if (_owner is null || _owner == linkId)
                {
                    _owner = linkId;
                    return true;
                }
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Releases the lock; false when <paramref name="linkId"/> did not hold it (error 12).</summary>
    public bool Release(int linkId)
    {
        lock (_gate)
        {
            if (_owner != linkId)
            {
                return false;
            }

            _owner = null;
            return true;
        }
    }
}
