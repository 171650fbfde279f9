using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.MonteCarlo;
using CimHil.Simulation.Nn;
using CimHil.Simulation.WorstCase;
using Serilog;
using Serilog.Core;

namespace CimHil.Simulation.Tests.WorstCase;

/// <summary>Tiny networks, data and device models built in code for the worst-case tests.</summary>
internal static class WorstCaseFixtures
{
    /// <summary>A window with Gmin &gt; 0 so every device can move both ways inside small boxes.</summary>
    public static readonly ConductanceWindow Window = new(10e-6, 100e-6);

    public static readonly ILogger Log = Logger.None;

    /// <summary>A linear classifier features → classes with uniform random weights.</summary>
    public static Network Linear(int seed, int features, int classes, bool bias = true)
    {
        var rng = new Random(seed);
        var body = new Sequential(("fc", new Nn.Linear(features, classes, rng, bias)));
        return new Network("linear-worst", body, [features], classes);
    }

    /// <summary>features → hidden → ReLU → classes.</summary>
    public static Network TwoLayer(int seed, int features, int hidden, int classes)
    {
        var rng = new Random(seed);
        var body = new Sequential(("fc1", new Nn.Linear(features, hidden, rng)), ("relu", new Relu()), ("fc2", new Nn.Linear(hidden, classes, rng)));
        return new Network("mlp-worst", body, [features], classes);
    }

    /// <summary>Gaussian inputs labelled by the float network itself (clean float accuracy 1).</summary>
    public static TestSet SelfLabelled(Network net, int n, int seed, int batchSize = 1000)
    {
        var rng = new Random(seed);
        var features = net.InputShape[0];
        var x = new float[n * features];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        }

        var images = new Tensor(x, n, features);
        return new TestSet(images, net.Predict(images), batchSize);
    }

    public static MappedNetwork Map(Network net, int bits = 4, int slices = 1) =>
        MappedNetwork.Map(net, new CimMappingOptions { BitsPerDevice = bits, SliceCount = slices }, Window);

    /// <summary>A PCM-like model: σ_p(x) = 1 µS + 2 µS·x (x = G/Gmax).</summary>
    public static DeviceVariationModel Device() => new()
    {
        Name = "worst-test-pcm",
        Technology = DeviceTechnology.Pcm,
        Window = Window,
        Programming = new ProgrammingErrorModel { SigmaS = new Polynomial([1e-6, 2e-6]), Family = ErrorDistribution.Normal },
        ReadNoise = new ReadNoiseModel { SigmaS = Polynomial.Constant(0.5e-6) },
        Provenance = new ModelProvenance { Source = "unit test" },
    };

    public static WorstCaseOptions Fast(WorstCaseOptions preset) => preset with { Steps = 15, Restarts = Math.Min(preset.Restarts, 1) };
}
