namespace CimHil.Instruments.Resilience;

/// <summary>
/// The pause before a retry: exponential from <c>retryBaseDelaySeconds</c> with "decorrelated jitter", capped at
/// <c>retryMaxDelaySeconds</c> — the back-off Polly 8 uses for exponential retries with jitter, kept when the session
/// stopped using Polly (issue 18). The formula is G. Polevoy's (Polly issue #530, as scaled there by D. Reisenberger):
/// with f(t) = 2^t · tanh(√(4t)) and t = attempt + u, u uniform in [0, 1), the delay is (f(t) − f(t_previous)) / 1.4 ×
/// base. Over many draws the n-th delay has a median near base × 2^n, but consecutive delays of one exchange (and of
/// sessions that failed together) do not line up, so retries of several sessions after a shared fault spread out.
/// </summary>
internal static class RetryBackoff
{
    /// <summary>Scales f so the medians fall near 1, 2, 4 … × base rather than 1.4, 2.8, 5.6 (Polly's choice).</summary>
    private const double MedianScale = 1 / 1.4;

    /// <summary>Smooths the first delay (Polly's choice of the tanh argument's factor).</summary>
    private const double FirstDelaySmoothing = 4.0;

    /// <summary>
    /// The delay before retry <paramref name="attempt"/> + 1 (attempt 0 failed first). <paramref name="previous"/> carries
    /// f of the last draw between the calls of one exchange (start it at 0); <paramref name="uniform"/> is in [0, 1).
    /// </summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan maxDelay, ref double previous, double uniform)
    {
        if (baseDelay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var t = attempt + uniform;
        var next = Math.Pow(2, t) * Math.Tanh(Math.Sqrt(FirstDelaySmoothing * t));
        var ticks = (next - previous) * MedianScale * baseDelay.Ticks;
        previous = next;
        var cap = Math.Max(maxDelay.Ticks, baseDelay.Ticks);
        return TimeSpan.FromTicks((long)Math.Clamp(ticks, 0, cap));
    }

    /// <summary>
    /// The largest delay retry <paramref name="attempt"/> + 1 can get before the cap: f(attempt + 1) − f(attempt − 1),
    /// scaled (the draw before lies at or above attempt − 1, this one below attempt + 1, and f rises).
    /// </summary>
    public static TimeSpan UpperBound(int attempt, TimeSpan baseDelay)
    {
        static double F(double t) => t <= 0 ? 0 : Math.Pow(2, t) * Math.Tanh(Math.Sqrt(FirstDelaySmoothing * t));
        return TimeSpan.FromTicks((long)Math.Ceiling((F(attempt + 1) - F(attempt - 1)) * MedianScale * baseDelay.Ticks));
    }
}
