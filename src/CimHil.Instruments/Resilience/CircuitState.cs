namespace CimHil.Instruments.Resilience;

/// <summary>Where a <see cref="CircuitBreaker"/> stands (Nygard, <i>Release It!</i>, 2nd ed., section 5.2: closed, open, half-open).</summary>
public enum CircuitState
{
    /// <summary>Exchanges go through; failures are counted in the sampling window.</summary>
    Closed,

    /// <summary>Exchanges are refused without touching the instrument until the break has elapsed.</summary>
    Open,

    /// <summary>The break has elapsed and one trial exchange is under way: its success closes the breaker, its failure re-opens it.</summary>
    HalfOpen,
}
