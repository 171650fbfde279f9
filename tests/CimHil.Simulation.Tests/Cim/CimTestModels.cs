using CimHil.Core.Chip;
using CimHil.Core.Devices;
using CimHil.Simulation.Engine;
using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Tests.Cim;

/// <summary>Small networks, data and device models built in code for the CiM tests.</summary>
internal static class CimTestModels
{
    public static readonly ConductanceWindow Window = new(2e-6, 100e-6);

    /// <summary>A one-layer linear classifier on [1, 4, 4] inputs with uniform random weights.</summary>
    public static Network LinearNet(int seed, int classes = 10, bool bias = true)
    {
        var rng = new Random(seed);
        var body = new Sequential(("flatten", new Flatten()), ("fc", new Linear(16, classes, rng, bias)));
        return new Network("linear-test", body, [1, 4, 4], classes);
    }

    /// <summary>Gaussian inputs [n, 1, 4, 4] labelled by the argmax of the network's own float logits (accuracy 1 in float).</summary>
    public static (Tensor Images, int[] Labels) SelfLabelled(Network net, int n, int seed)
    {
        var rng = new Random(seed);
        var x = new float[n * 16];
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = (float)Gaussian(rng);
        }

        var images = new Tensor(x, n, 1, 4, 4);
        return (images, net.Predict(images));
    }

    public static Tensor RandomInput(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = Tensor.Zeros(shape);
        for (var i = 0; i < t.Length; i++)
        {
            t.Data[i] = (float)rng.NextDouble();
        }

        return t;
    }

    public static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>A PCM-like model: σ_p(x) = 1 µS + 2 µS·x, read σ 0.5 µS, optional drift and stuck cells.</summary>
    public static DeviceVariationModel Device(
        ErrorDistribution family = ErrorDistribution.Normal,
        double readSigmaS = 0.5e-6,
        DriftModel? drift = null,
        StuckAtModel? stuck = null,
        double offsetS = 0) => new()
        {
            Name = "test-pcm",
            Technology = DeviceTechnology.Pcm,
            Window = Window,
            Programming = new ProgrammingErrorModel
            {
                SigmaS = new Polynomial([1e-6, 2e-6]),
                OffsetS = Polynomial.Constant(offsetS),
                Family = family,
            },
            ReadNoise = new ReadNoiseModel { SigmaS = Polynomial.Constant(readSigmaS) },
            Drift = drift,
            StuckAt = stuck ?? StuckAtModel.None,
            Provenance = new ModelProvenance { Source = "unit test" },
        };
}
