using CimHil.Simulation.Engine;
using CimHil.Simulation.Models;
using CimHil.Simulation.MonteCarlo;

namespace CimHil.Simulation.Tests.Cim;

public class InferencePlanTests
{
    [Theory]
    [InlineData(ModelZoo.LeNet5)]
    [InlineData(ModelZoo.VggSmall)]
    public void Run_GivesTheEngineLogits(string architecture)
    {
        var net = ModelZoo.Create(architecture, 3);
        var plan = InferencePlan.TryCompile(net, chunkSize: 5);
        Assert.NotNull(plan);
        var x = CimTestModels.RandomInput(4, 7, 1, 28, 28);
        Tensor expected;
        using (Tensor.NoGrad())
        {
            expected = net.Forward(x);
        }

        var ws = plan.CreateWorkspace();
        plan.PrepareWeights(ws, net.WeightedLayers.Select(l => l.Weight.Data).ToArray());
        var per = 28 * 28;
        for (var start = 0; start < 7; start += 5)
        {
            var count = Math.Min(5, 7 - start);
            var logits = plan.Run(ws, x.Data.AsSpan(start * per, count * per), count).ToArray();
            for (var i = 0; i < logits.Length; i++)
            {
                var e = expected.Data[(start * 10) + i];
                Assert.Equal(e, logits[i], 1e-4f * (1 + Math.Abs(e)));
            }
        }

        var labels = net.Predict(x);
        Assert.Equal(7, plan.CountCorrect(ws, x, labels));
    }

    [Fact]
    public void TryCompile_NetworkWithBatchNormAndResiduals_ReturnsNull() =>
        Assert.Null(InferencePlan.TryCompile(ModelZoo.Create(ModelZoo.ResNetSmall, 1)));
}
