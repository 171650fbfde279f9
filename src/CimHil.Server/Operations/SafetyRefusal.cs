using CimHil.Core.Safety;

namespace CimHil.Server.Operations;

/// <summary>A safety refusal as the API and the live stream report it: the limit named, nothing applied.</summary>
public sealed record SafetyRefusal(string Error, string Operation, string Quantity, double Value, double Limit, string Rule)
{
    public static SafetyRefusal Of(SafetyLimitException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        return new SafetyRefusal(ex.Message, ex.Operation, ex.Quantity, ex.Value, ex.Limit, ex.Rule.ToString().ToLowerInvariant());
    }
}
