using CimHil.Simulation.Variation;
using CimHil.Simulation.WorstCase;
using static CimHil.Simulation.Tests.WorstCase.WorstCaseFixtures;

namespace CimHil.Simulation.Tests.WorstCase;

/// <summary>
/// Pins the exact worst case (Δ bits, counts of passes) a seed gives, with the greedy polish and both step rules, so
/// refactoring the search cannot change its numbers. Recorded on the code before the polish became its own type (issue #15 item 7).
/// </summary>
public class WorstCasePinTests
{
    [Theory]
    [InlineData(WorstCaseStepRule.Sign, 17334309742056900101UL)]
    [InlineData(WorstCaseStepRule.Adam, 10990614397289998728UL)]
    public void Search_SameSeed_GivesThePinnedWorstCase(WorstCaseStepRule rule, ulong expected)
    {
        var net = TwoLayer(7, 6, 10, 3);
        var mapped = Map(net);
        var data = SelfLabelled(net, 200, 11);
        var bounds = DeviceBoundModel.FromVariation(new VariationSpec { Noise = new CalibratedNoiseModel(Device()) });
        var options = WorstCaseOptions.Default with { Steps = 10, Restarts = 2, PolishEvaluations = 60, StepRule = rule };
        var run = new WorstCaseSearch(new MappedForward(mapped, data), bounds, options, Log).Search(1.5);

        var hash = 14695981039346656037UL;
        void Mix(ulong v) => hash = (hash ^ v) * 1099511628211UL;
        Mix((ulong)run.Correct);
        Mix((ulong)run.GradientPasses);
        Mix((ulong)run.ForwardPasses);
        Mix(BitConverter.DoubleToUInt64Bits(run.AccuracyBeforePolish));
        foreach (var layer in run.Delta.Layers)
        {
            foreach (var devices in layer.Plus.Concat(layer.Minus))
            {
                Array.ForEach(devices, d => Mix(BitConverter.DoubleToUInt64Bits(d)));
            }
        }

        Assert.Equal(expected, hash);
    }
}
