using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;
using CimHil.Simulation.Onnx;
using static CimHil.Simulation.Tests.Onnx.OnnxFixtures;

namespace CimHil.Simulation.Tests.Onnx;

public sealed class OnnxImportTests
{
    public static TheoryData<string> Fixtures() => [.. Names];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Logits_EqualOnnxRuntimeAndPyTorch_To1e4(string name)
    {
        var imported = await OnnxImporter.LoadAsync(PathOf(name));
        var (x, _) = TestData();

        Tensor logits;
        using (Tensor.NoGrad())
        {
            logits = imported.Network.Forward(x);
        }

        // The MLP ends in LogSoftmax, which the import drops (the engine works on logits); apply it for the comparison.
        var output = imported.OutputActivation == "LogSoftmax" ? LogSoftmax(logits) : logits.Data;
        Assert.Equal(name == "mlp" ? "LogSoftmax" : null, imported.OutputActivation);
        var ort = OnnxRuntimeOutput(PathOf(name), x);
        Assert.True(MaxRelativeError(output, ort) <= 1e-4, $"{name}: engine vs ONNX Runtime max relative error {MaxRelativeError(output, ort):E2}");
        Assert.True(MaxRelativeError(output, RecordedLogits(name)) <= 1e-4, $"{name}: engine vs PyTorch max relative error {MaxRelativeError(output, RecordedLogits(name)):E2}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task CleanAccuracy_EqualsTheRecordedPyTorchAccuracy(string name)
    {
        var imported = await OnnxImporter.LoadAsync(PathOf(name));
        var (x, labels) = TestData();

        var predicted = imported.Network.Predict(x);

        Assert.Equal(RecordedCorrect(name), predicted.Zip(labels).Count(p => p.First == p.Second));
    }

    [Fact]
    public async Task WeightedLayers_AreTheConvGemmAndMatMulWeights_WithPyTorchNames()
    {
        var lenet = (await OnnxImporter.LoadAsync(PathOf("lenet5"))).Network;
        var mlp = (await OnnxImporter.LoadAsync(PathOf("mlp"))).Network;
        var dw = (await OnnxImporter.LoadAsync(PathOf("depthwise-separable"))).Network;
        var res = (await OnnxImporter.LoadAsync(PathOf("residual-cnn"))).Network;

        Assert.Equal(["conv1", "conv2", "fc1", "fc2", "fc3"], lenet.WeightedLayers.Select(l => l.Path));
        Assert.IsType<Sequential>(lenet.Body);
        Assert.Equal([WeightedLayerKind.Linear, WeightedLayerKind.Linear, WeightedLayerKind.Linear, WeightedLayerKind.Linear], mlp.WeightedLayers.Select(l => l.Kind));
        Assert.Equal([(96, 784), (64, 96), (32, 64), (10, 32)], mlp.WeightedLayers.Select(l => (l.OutputCount, l.FanIn)));
        Assert.Null(mlp.WeightedLayers[1].Bias); // the bias-free layer came as MatMul; its separate bias stays digital

        // Depthwise: 8 outputs × (8/8 channels · 3·3) = a [8, 9] matrix on the crossbar.
        Assert.Contains(dw.WeightedLayers, l => l is GeneralConv2d g && g.Geometry.Groups == 8 && l.OutputCount == 8 && l.FanIn == 9);
        Assert.Contains(dw.WeightedLayers, l => l is GeneralConv2d g && g.Geometry.DilationH == 2);
        Assert.IsType<OnnxGraph>(dw.Body);
        Assert.Equal(7, res.WeightedLayers.Count);
        Assert.Equal(6, BatchNormFolding.BatchNormCount(res));
        Assert.Equal(3, BatchNormFolding.BatchNormCount(dw));
    }

    [Theory]
    [InlineData("residual-cnn", 6)]
    [InlineData("depthwise-separable", 3)]
    public async Task FoldBatchNorm_RemovesEveryConvBatchNormPair_AndKeepsTheLogits(string name, int folds)
    {
        var plain = await OnnxImporter.LoadAsync(PathOf(name));
        var folded = await OnnxImporter.LoadAsync(PathOf(name), new OnnxImportOptions { FoldBatchNorm = true });
        var (x, _) = TestData();

        Assert.Equal(folds, folded.FoldedBatchNorms);
        Assert.Equal(0, BatchNormFolding.BatchNormCount(folded.Network));
        Assert.Equal(plain.Network.WeightedLayers.Count, folded.Network.WeightedLayers.Count);
        Assert.NotEqual(plain.Network.WeightedLayers[0].Weight.Data, folded.Network.WeightedLayers[0].Weight.Data);
        using var _ = Tensor.NoGrad();
        var a = plain.Network.Forward(x).Data;
        var b = folded.Network.Forward(x).Data;
        Assert.True(MaxRelativeError(b, a) <= 1e-4, $"folded vs unfolded {MaxRelativeError(b, a):E2}");
    }

    [Theory]
    [InlineData("residual-cnn")]
    [InlineData("depthwise-separable")]
    [InlineData("mlp")]
    public async Task Gradients_ThroughTheImportedGraph_MatchCentralDifferences(string name)
    {
        var net = (await OnnxImporter.LoadAsync(PathOf(name))).Network;
        var (all, allLabels) = TestData();
        var x = new Tensor(all.Data[..(4 * 784)], 4, 1, 28, 28);
        var labels = allLabels[..4];
        var probe = new Random(3);

        // ReLU/Clip/MaxPool kinks within ±h make single probes of a deep float32 net noisy, so most (not all) probes of each
        // layer must agree to 5 %; an indexing error in a backward pass fails them all.
        foreach (var layer in net.WeightedLayers)
        {
            var dW = Tensor.Parameter(new float[layer.Weight.Length], layer.Weight.ShapeArray());
            var ctx = new ForwardContext { Weights = new WeightOverrides().Add(layer, dW) };
            net.ZeroGrad();
            Ops.SoftmaxCrossEntropy(net.Forward(x, ctx), labels).Backward();
            var agree = 0;
            var report = new List<string>();
            const int probes = 6;
            for (var t = 0; t < probes; t++)
            {
                var i = probe.Next(layer.Weight.Length);
                const float h = 2e-3f;
                double Loss(float v)
                {
                    var d = new float[layer.Weight.Length];
                    d[i] = v;
                    using var _ = Tensor.NoGrad();
                    return Ops.SoftmaxCrossEntropy(net.Forward(x, new ForwardContext { Weights = new WeightOverrides().Add(layer, new Tensor(d, layer.Weight.ShapeArray())) }), labels).Item();
                }

                var numeric = (Loss(h) - Loss(-h)) / (2 * h);
                var analytic = dW.Grad![i];
                report.Add($"[{i}] {analytic:G4} vs {numeric:G4}");
                agree += Math.Abs(numeric - analytic) <= (5e-2 * Math.Abs(numeric)) + 2e-4 ? 1 : 0;
            }

            Assert.True(agree >= probes - 1, $"{name} {layer.Path}: analytic vs numeric {string.Join("; ", report)}");
        }
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 1, 2, 1)]
    [InlineData(1, 2, 1, 3)]
    public void Conv2dGeneral_WithoutGroupsOrDilation_EqualsTheIm2ColConvolution_ForwardAndGradients(int stride, int dilation, int pad, int groups)
    {
        // groups > 1 is checked by comparing with one dense convolution per group on the group's channels.
        var rng = new Random(5);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        const int n = 2, c = 6, h = 9, o = 6, k = 3;
        var x = Tensor.Parameter(R(n * c * h * h), n, c, h, h);
        var w = Tensor.Parameter(R(o * (c / groups) * k * k), o, c / groups, k, k);
        var b = Tensor.Parameter(R(o), o);
        var geometry = new ConvolutionGeometry { StrideH = stride, StrideW = stride, DilationH = dilation, DilationW = dilation, PadTop = pad, PadLeft = pad, PadBottom = pad, PadRight = pad, Groups = groups };
        var y = Ops.Conv2dGeneral(x, w, b, geometry);
        var seed = R(y.Length);
        y.Backward(seed);
        var (gx, gw, gb) = (x.Grad!.ToArray(), w.Grad!.ToArray(), b.Grad!.ToArray());

        if (dilation == 1)
        {
            x.ZeroGrad();
            w.ZeroGrad();
            b.ZeroGrad();
            var groupsOut = new List<Tensor>();
            var reference = new float[y.Length];
            int og = o / groups, cg = c / groups;
            for (var g = 0; g < groups; g++)
            {
                var xs = Tensor.Parameter(new float[n * cg * h * h], n, cg, h, h);
                for (var s = 0; s < n; s++)
                {
                    x.Data.AsSpan(((s * c) + (g * cg)) * h * h, cg * h * h).CopyTo(xs.Data.AsSpan(s * cg * h * h));
                }

                var ws = Tensor.Parameter(w.Data[(g * og * cg * k * k)..((g + 1) * og * cg * k * k)], og, cg, k, k);
                var bs = Tensor.Parameter(b.Data[(g * og)..((g + 1) * og)], og);
                var ys = Ops.Conv2d(xs, ws, bs, stride, pad);
                var p = ys.Dim(2) * ys.Dim(3);
                var seedS = new float[ys.Length];
                for (var s = 0; s < n; s++)
                {
                    for (var oc = 0; oc < og; oc++)
                    {
                        var dst = (((s * o) + (g * og) + oc) * p);
                        ys.Data.AsSpan(((s * og) + oc) * p, p).CopyTo(reference.AsSpan(dst));
                        seed.AsSpan(dst, p).CopyTo(seedS.AsSpan(((s * og) + oc) * p));
                    }
                }

                ys.Backward(seedS);
                Assert.Equal(ws.Grad!.Select(v => (double)v), gw[(g * og * cg * k * k)..((g + 1) * og * cg * k * k)].Select(v => (double)v), (a, e) => Math.Abs(a - e) <= 1e-4 * Math.Max(1, Math.Abs(e)));
                Assert.Equal(bs.Grad!.Select(v => (double)v), gb[(g * og)..((g + 1) * og)].Select(v => (double)v), (a, e) => Math.Abs(a - e) <= 1e-4 * Math.Max(1, Math.Abs(e)));
                for (var s = 0; s < n; s++)
                {
                    for (var j = 0; j < cg * h * h; j++)
                    {
                        Assert.True(Math.Abs(xs.Grad![(s * cg * h * h) + j] - gx[(((s * c) + (g * cg)) * h * h) + j]) <= 1e-4, "input gradient differs");
                    }
                }

                groupsOut.Add(ys);
            }

            Assert.True(OnnxFixtures.MaxRelativeError(y.Data, reference) <= 1e-5, $"forward differs by {OnnxFixtures.MaxRelativeError(y.Data, reference):E2}");
        }
        else
        {
            // Dilation d: the same as a dense kernel of size d(k − 1) + 1 with zeros between the taps.
            var kd = (dilation * (k - 1)) + 1;
            var wd = new float[o * (c / groups) * kd * kd];
            for (var q = 0; q < o * (c / groups); q++)
            {
                for (var ky = 0; ky < k; ky++)
                {
                    for (var kx = 0; kx < k; kx++)
                    {
                        wd[(q * kd * kd) + (ky * dilation * kd) + (kx * dilation)] = w.Data[(q * k * k) + (ky * k) + kx];
                    }
                }
            }

            var dense = Ops.Conv2dGeneral(x.Detach(), new Tensor(wd, o, c / groups, kd, kd), b.Detach(), geometry with { DilationH = 1, DilationW = 1 });
            Assert.True(OnnxFixtures.MaxRelativeError(y.Data, dense.Data) <= 1e-5);
        }
    }
}
