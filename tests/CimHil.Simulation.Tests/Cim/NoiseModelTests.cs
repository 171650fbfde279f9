using CimHil.Core.Config;
using CimHil.Core.Devices;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Variation;

namespace CimHil.Simulation.Tests.Cim;

public class NoiseModelTests
{
    [Fact]
    public void Parse_RegisteredPlugIn_ProgramsTheChipThroughIt()
    {
        NoiseModels.Register("test-shift", (_, argument, _) => new ShiftModel(double.Parse(argument, System.Globalization.CultureInfo.InvariantCulture)));
        var spec = VariationSpec.Parse("test-shift:1e-6");
        var shift = Assert.IsType<ShiftModel>(spec.Noise);
        Assert.Equal(1e-6, shift.ShiftS);
        Assert.Null(spec.Gaussian);

        var mapped = MappedNetwork.Map(CimTestModels.LinearNet(3), new CimMappingOptions { BitsPerDevice = 4 }, spec.Window);
        var chip = SimulatedChip.Program(mapped, spec, seed: 1, chipIndex: 0);
        var targets = mapped.Layers[0].Targets;
        Assert.Equal(targets.Plus[0].Select(g => g + 1e-6), chip.Conductances[0].Plus[0]);
        Assert.Equal("shift 1E-06 S", spec.Describe());
    }

    [Theory]
    [InlineData("gaussian:0.1", GaussianDomain.Weight)]
    [InlineData("gaussian-weight:0.1", GaussianDomain.Weight)]
    [InlineData("GAUSSIAN-CONDUCTANCE:0.1", GaussianDomain.Conductance)]
    public void Parse_GaussianNames_PickTheDomain(string text, GaussianDomain domain)
    {
        Assert.Equal(new GaussianNoiseModel(0.1, domain), VariationSpec.Parse(text).Noise);
    }

    [Fact]
    public void Parse_UnknownGaussianKind_IsRefusedByName()
    {
        var e = Assert.Throws<ConfigException>(() => VariationSpec.Parse("gaussian-read:0.1"));
        Assert.Contains("'gaussian-read' is not a Gaussian model", e.Message, StringComparison.Ordinal);
    }

    private sealed record ShiftModel(double ShiftS) : IDeviceNoiseModel
    {
        public ConductanceWindow? Window => null;

        public string Describe(VariationSpec spec) => FormattableString.Invariant($"shift {ShiftS:G4} S");

        public bool HasReadNoise(VariationSpec spec) => false;

        public bool HasDrift(VariationSpec spec) => false;

        public ProgrammedLayer Program(MappedLayer layer, LayerConductances conductances, VariationSpec spec, SimulationRng rng)
        {
            foreach (var g in conductances.Plus.Concat(conductances.Minus))
            {
                for (var i = 0; i < g.Length; i++)
                {
                    g[i] += ShiftS;
                }
            }

            return ProgrammedLayer.Exact;
        }

        public void ReadNoiseSigma(ReadOnlySpan<double> conductanceS, Span<double> sigmaS) => sigmaS.Clear();
    }
}
