using CimHil.Simulation.Mapping;
using CimHil.Simulation.Models;
using CimHil.Simulation.Robustness;
using CimHil.Simulation.Training;
using Serilog.Core;

namespace CimHil.Simulation.Tests.Robustness;

/// <summary>A-TRICE (β-mixed adversarial + right-censored training after a warm-up) keeps the clean accuracy of standard training.</summary>
public sealed class AtriceCleanAccuracyTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Atrice_SameBudgetAsStandard_CleanAccuracyWithinSixPoints()
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

        output.WriteLine($"standard {standard:P2}, A-TRICE {atrice:P2}, difference {(atrice - standard) * 100:F2} points");

        // Margin: 6 points. Measured with this recipe (β = 0.5, k = 1, one warm-up epoch; seeded, deterministic on one
        // machine): 60.75 % against 65.40 %, −4.65 points. The rest (1.35 points) is room for another machine's summation
        // order moving a few of the 2000 test images: about one binomial standard error, √(0.6·0.4/2000) = 1.1 points.
        // The 2-point goal of issue #23 is not reached here: with 47 warm-up and 47 adversarial steps the network is far
        // from converged, and the trade-off sweep (docs/robustness.md §5, two seeds at 5500 images) measured 3.5–3.7 points.
        // The adversary-only recipe (β = 1, no warm-up) lost 28 points at the larger budget, so the test still separates them.
        Assert.True(atrice >= standard - 0.06, $"A-TRICE clean accuracy {atrice:P2} against standard {standard:P2}");
        Assert.True(standard > 0.6, $"standard training reached only {standard:P2}");
    }
}
