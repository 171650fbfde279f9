using System.Globalization;

namespace CimHil.Core.Safety;

/// <summary>Which side of a safety limit a refused value fell on.</summary>
public enum SafetyRule
{
    /// <summary>The value exceeds the configured maximum.</summary>
    Maximum,

    /// <summary>The value is below the configured minimum (e.g. a pulse shorter than the bench can shape).</summary>
    Minimum,

    /// <summary>The value must be greater than the limit (a read voltage must be above 0 V).</summary>
    Above,
}

/// <summary>An operation was refused because it would break a configured safety limit; nothing was sent.</summary>
public sealed class SafetyLimitException : Chip.ChipException
{
    /// <summary>A value over its maximum ("exceeds the maximum").</summary>
    public SafetyLimitException(string operation, string quantity, double value, double limit, string unit)
        : this(operation, quantity, value, limit, unit, SafetyRule.Maximum)
    {
    }

    public SafetyLimitException(string operation, string quantity, double value, double limit, string unit, SafetyRule rule)
        : base(Describe(operation, quantity, value, limit, unit, rule))
    {
        Operation = operation;
        Quantity = quantity;
        Value = value;
        Limit = limit;
        Rule = rule;
    }

    public string Operation { get; }

    public string Quantity { get; }

    public double Value { get; }

    public double Limit { get; }

    public SafetyRule Rule { get; }

    private static string Describe(string operation, string quantity, double value, double limit, string unit, SafetyRule rule)
    {
        var v = value.ToString("G6", CultureInfo.InvariantCulture);
        var l = limit.ToString("G6", CultureInfo.InvariantCulture);
        var broken = rule switch
        {
            SafetyRule.Minimum => $"is below the minimum {l} {unit}",
            SafetyRule.Above => $"must be above {l} {unit}",
            _ => $"exceeds the maximum {l} {unit}",
        };
        return $"{operation} refused: {quantity} {v} {unit} {broken}; nothing was applied";
    }
}
