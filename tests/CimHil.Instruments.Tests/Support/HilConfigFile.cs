using CimHil.Core.Config;

namespace CimHil.Instruments.Tests.Support;

/// <summary>A hil-config.json written to a temporary folder and loaded as the CLI loads it: an emulator chip and a given <c>transport</c> section.</summary>
internal static class HilConfigFile
{
    public static HilConfig LoadWithTransport(string transportJson)
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-config-");
        try
        {
            var file = Path.Combine(dir.FullName, "hil-config.json");
            File.WriteAllText(file, $$$"""
                {"chip": {"driver": "emulator", "settings": {}, "safety": {"maxSetVoltageV": 3, "maxResetVoltageV": 3, "maxFormVoltageV": 4, "maxReadVoltageV": 0.5, "maxGateVoltageV": 3, "maxComplianceA": 0.001, "maxPulseWidthSeconds": 0.001, "minPulseWidthSeconds": 1e-8}},
                 "transport": {{{transportJson}}}}
                """);
            return HilConfigLoader.Load(file);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
