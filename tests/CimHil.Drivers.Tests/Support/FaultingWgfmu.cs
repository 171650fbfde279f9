using System.Reflection;
using System.Runtime.ExceptionServices;
using CimHil.Instruments.Wgfmu;

namespace CimHil.Drivers.Tests.Support;

/// <summary>
/// The real WGFMU library (through the stand-in) with one call made to fail as a lost link would: the library's
/// WGFMU_COMMUNICATION_ERROR (-5). Every other call goes through unchanged.
/// </summary>
public class FaultingWgfmu : DispatchProxy
{
    private IWgfmu _inner = null!;
    private string? _failOn;

    /// <summary>Wraps <paramref name="inner"/> so that the next call of the <see cref="IWgfmu"/> method <paramref name="method"/> fails with -5.</summary>
    public static IWgfmu Wrap(IWgfmu inner, string method)
    {
        var proxy = Create<IWgfmu, FaultingWgfmu>();
        var faulting = (FaultingWgfmu)(object)proxy;
        faulting._inner = inner;
        faulting._failOn = method;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == _failOn)
        {
            _failOn = null;
            throw new WgfmuException("test", $"WGFMU_{char.ToLowerInvariant(targetMethod.Name[0])}{targetMethod.Name[1..]}", -5, "link to the mainframe lost (test)");
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }
}
