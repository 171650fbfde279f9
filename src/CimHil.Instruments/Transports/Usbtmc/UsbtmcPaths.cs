namespace CimHil.Instruments.Transports.Usbtmc;

/// <summary>Where the usbtmc driver's devices are described (sysfs) and opened (/dev); tests point both at a fake tree.</summary>
public sealed record UsbtmcPaths(string SysfsRoot, string DevRoot)
{
    /// <summary>The live system: /sys and /dev.</summary>
    public static UsbtmcPaths System { get; } = new("/sys", "/dev");
}
