using CimHil.Core.Config;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Tests.Cim;

public class MappingTests
{
    [Theory]
    [InlineData(ScaleGranularity.PerLayer)]
    [InlineData(ScaleGranularity.PerColumn)]
    public void Map_NoVariationManyLevels_ReconstructsWithinHalfLevelStep(ScaleGranularity scale)
    {
        var net = CimTestModels.LinearNet(1);
        var options = new CimMappingOptions { BitsPerDevice = 8, Scale = scale };
        var mapped = MappedNetwork.Map(net, options, CimTestModels.Window).Layers[0];
        var w = net.WeightedLayers[0].Weight.Data;
        for (var i = 0; i < w.Length; i++)
        {
            var halfStep = mapped.Scales[i / mapped.FanIn] / (2.0 * options.MaxCode);
            Assert.True(Math.Abs(mapped.NominalWeight[i] - w[i]) <= halfStep * (1 + 1e-5), $"weight {i}: {mapped.NominalWeight[i]} vs {w[i]}, half step {halfStep}");
        }
    }

    [Fact]
    public void Map_TargetsLieOnDeviceLevelsInsideTheWindow()
    {
        var net = CimTestModels.LinearNet(2);
        var options = new CimMappingOptions { BitsPerDevice = 3, SliceCount = 2 };
        var mapped = MappedNetwork.Map(net, options, CimTestModels.Window).Layers[0];
        var step = CimTestModels.Window.SpanS / (options.LevelsPerDevice - 1);
        foreach (var arr in mapped.Targets.Plus.Concat(mapped.Targets.Minus))
        {
            foreach (var g in arr)
            {
                Assert.InRange(g, CimTestModels.Window.MinS, CimTestModels.Window.MaxS * (1 + 1e-12));
                var level = (g - CimTestModels.Window.MinS) / step;
                Assert.Equal(Math.Round(level), level, 9);
            }
        }

        // One device of each pair stays at Gmin.
        for (var i = 0; i < mapped.Targets.WeightCount; i++)
        {
            Assert.True(mapped.Targets.Plus[0][i] == CimTestModels.Window.MinS || mapped.Targets.Minus[0][i] == CimTestModels.Window.MinS);
        }
    }

    [Fact]
    public void Map_BitSlicing_RecombinesExactlyToTheUnslicedCode()
    {
        // 2 slices × 2 bits and 1 slice × 4 bits share Q = 15: the shift-and-add recombination must give identical weights.
        var net = CimTestModels.LinearNet(3);
        var sliced = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 2, SliceCount = 2 }, CimTestModels.Window).Layers[0];
        var single = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 4, SliceCount = 1 }, CimTestModels.Window).Layers[0];
        Assert.Equal(15, new CimMappingOptions { BitsPerDevice = 2, SliceCount = 2 }.MaxCode);
        for (var i = 0; i < sliced.NominalWeight.Length; i++)
        {
            Assert.Equal(single.NominalWeight[i], sliced.NominalWeight[i], 1e-6f);
            var code = Math.Round(sliced.NominalWeight[i] / sliced.Scales[0] * 15);
            Assert.Equal(code * sliced.Scales[0] / 15, sliced.NominalWeight[i], 1e-6);
        }

        // Slice 1 carries significance 4 = 2^bitsPerDevice relative to slice 0.
        Assert.Equal(4.0, sliced.Coefficients[1][0] / sliced.Coefficients[0][0], 12);
    }

    [Fact]
    public void ConductanceGradient_EqualsFiniteDifferenceOfTheDecodedWeight()
    {
        var net = CimTestModels.LinearNet(4);
        var layer = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 2, SliceCount = 3 }, CimTestModels.Window).Layers[0];
        var rng = new Random(5);
        var dLdW = Enumerable.Range(0, layer.NominalWeight.Length).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var grad = new LayerConductances(layer.SliceCount, layer.NominalWeight.Length);
        layer.ConductanceGradient(dLdW, grad);

        // L = Σ dLdW·W is linear in W, so its change for a device step Δg is exactly grad·Δg.
        var baseLoss = Loss(layer.Decode(layer.Targets));
        const double delta = 1e-6;
        foreach (var (s, i, plus) in new[] { (0, 3, true), (2, 17, false), (1, 100, true) })
        {
            var g = layer.Targets.Clone();
            (plus ? g.Plus : g.Minus)[s][i] += delta;
            var fd = (Loss(layer.Decode(g)) - baseLoss) / delta;
            var analytic = (plus ? grad.Plus : grad.Minus)[s][i];
            Assert.Equal(analytic, fd, Math.Abs(analytic) * 1e-2);
        }

        double Loss(float[] w) => w.Select((v, k) => (double)v * dLdW[k]).Sum();
    }

    [Fact]
    public void TiledForward_WithoutConverters_EqualsTheUntiledProduct()
    {
        var net = ModelZoo.CreateLeNet5(7);
        var mapped = MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = 3, SliceCount = 2, TileRows = 32, TileColumns = 8 }, CimTestModels.Window);
        var x = CimTestModels.RandomInput(8, 4, 1, 28, 28);
        var ranges = mapped.CalibratePeriphery(x);
        var crossbar = new CrossbarForward(mapped, ranges);
        var slices = mapped.Layers.Select(l => MappedNetwork.SliceWeights(l, l.Targets)).ToArray();
        using var _ = Tensor.NoGrad();
        var tiled = net.Forward(x, crossbar.Context(slices, null));
        var untiled = net.Forward(x, mapped.WeightContext(mapped.NominalWeights()));
        for (var i = 0; i < tiled.Length; i++)
        {
            Assert.Equal(untiled.Data[i], tiled.Data[i], 1e-4f * (1 + Math.Abs(untiled.Data[i])));
        }
    }

    [Fact]
    public void Quantize_InsideTheRange_ErrsByAtMostHalfAnLsb()
    {
        var rng = new Random(9);
        foreach (var bits in new[] { 2, 4, 8 })
        {
            const double range = 3.7;
            var step = Converter.Step(range, bits);
            var v = Enumerable.Range(0, 2000).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range)).ToArray();
            var q = (float[])v.Clone();
            Converter.Quantize(q, range, bits);
            for (var i = 0; i < v.Length; i++)
            {
                Assert.True(Math.Abs(q[i] - v[i]) <= (step / 2) + 1e-6, $"{bits} bits: {v[i]} → {q[i]}, LSB {step}");
            }

            Assert.True(q.Distinct().Count() <= (1 << bits) - 1);
        }

        var clipped = new[] { 10f, -10f };
        Converter.Quantize(clipped, 1, 4);
        Assert.Equal([1f, -1f], clipped);
    }

    [Fact]
    public void TiledForward_WithAdc_ErrsByAtMostHalfAnLsbPerTileAndSlice()
    {
        var net = CimTestModels.LinearNet(10, classes: 12, bias: false);
        var options = new CimMappingOptions { BitsPerDevice = 2, SliceCount = 2, TileRows = 5, TileColumns = 4, AdcBits = 6 };
        var mapped = MappedNetwork.Map(net, options, CimTestModels.Window);
        var x = CimTestModels.RandomInput(11, 64, 1, 4, 4);
        var ranges = mapped.CalibratePeriphery(x);
        var crossbar = new CrossbarForward(mapped, ranges);
        var slices = mapped.Layers.Select(l => MappedNetwork.SliceWeights(l, l.Targets)).ToArray();
        using var _ = Tensor.NoGrad();
        var quantised = net.Forward(x, crossbar.Context(slices, null));
        var exact = net.Forward(x, mapped.WeightContext(mapped.NominalWeights()));

        // Output o sums one ADC conversion per (row tile, slice) of its column tile: the bound is the sum of their half LSBs.
        var adc = ranges.Adc[0];
        for (var i = 0; i < exact.Length; i++)
        {
            var o = i % 12;
            var bound = 0.0;
            for (var t = 0; t < adc.Length; t++)
            {
                for (var s = 0; s < 2; s++)
                {
                    bound += Converter.Step(adc[t][o / 4][s], 6) / 2;
                }
            }

            Assert.True(Math.Abs(quantised.Data[i] - exact.Data[i]) <= bound * (1 + 1e-4) + 1e-6, $"output {i}: {quantised.Data[i]} vs {exact.Data[i]}, bound {bound}");
        }
    }

    [Fact]
    public void TiledForward_WithDac_ErrsByTheInputLsbTimesTheWeights()
    {
        var net = CimTestModels.LinearNet(12, classes: 6, bias: false);
        var options = new CimMappingOptions { BitsPerDevice = 4, TileRows = 8, DacBits = 5 };
        var mapped = MappedNetwork.Map(net, options, CimTestModels.Window);
        var x = CimTestModels.RandomInput(13, 32, 1, 4, 4);
        var ranges = mapped.CalibratePeriphery(x);
        var slices = mapped.Layers.Select(l => MappedNetwork.SliceWeights(l, l.Targets)).ToArray();
        using var _ = Tensor.NoGrad();
        var quantised = net.Forward(x, new CrossbarForward(mapped, ranges).Context(slices, null));
        var exact = net.Forward(x, mapped.WeightContext(mapped.NominalWeights()));
        var w = mapped.Layers[0].NominalWeight;
        for (var i = 0; i < exact.Length; i++)
        {
            var o = i % 6;
            var bound = 0.0;
            for (var k = 0; k < 16; k++)
            {
                bound += Math.Abs(w[(o * 16) + k]) * Converter.Step(ranges.Dac[0][k / 8], 5) / 2;
            }

            Assert.True(Math.Abs(quantised.Data[i] - exact.Data[i]) <= bound + 1e-5);
        }
    }

    [Fact]
    public void FromJson_ReadsSettingsAndRejectsUnknownKeysWithTheirPath()
    {
        var o = CimMappingOptions.FromJson(JsonSection.Parse("""{"bitsPerDevice": 3, "sliceCount": 2, "scale": "per-column", "tileRows": 64, "adcBits": 8}""", "t"));
        Assert.Equal(3, o.BitsPerDevice);
        Assert.Equal(2, o.SliceCount);
        Assert.Equal(ScaleGranularity.PerColumn, o.Scale);
        Assert.Equal(64, o.TileRows);
        Assert.Equal(8, o.AdcBits);
        Assert.Null(o.DacBits);
        var ex = Assert.Throws<ConfigException>(() => CimMappingOptions.FromJson(new JsonSection(JsonSection.Parse("""{"adcBit": 8}""", "t").Element, "simulation.mapping")));
        Assert.Contains("simulation.mapping.adcBit", ex.Message, StringComparison.Ordinal);
    }
}
