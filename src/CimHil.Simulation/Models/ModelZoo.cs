using CimHil.Simulation.Nn;

namespace CimHil.Simulation.Models;

/// <summary>The built-in architectures, created by name with seeded PyTorch-default initialisation.</summary>
public static class ModelZoo
{
    /// <summary>LeNet-5 for 28×28 inputs.</summary>
    public const string LeNet5 = "lenet5";

    /// <summary>A small VGG-style CNN (three conv3×3 stages).</summary>
    public const string VggSmall = "vgg-small";

    /// <summary>A small ResNet (three stages of one basic block, BatchNorm, residual adds).</summary>
    public const string ResNetSmall = "resnet-small";

    /// <summary>Known architecture names.</summary>
    public static IReadOnlyList<string> Names { get; } = [LeNet5, VggSmall, ResNetSmall];

    /// <summary>Creates the named architecture for inputs [channels, 28, 28] (Fashion-MNIST: 1 channel, 10 classes).</summary>
    public static Network Create(string name, int seed, int channels = 1, int classes = 10) => name switch
    {
        LeNet5 => CreateLeNet5(seed, channels, classes),
        VggSmall => CreateVggSmall(seed, channels, classes),
        ResNetSmall => CreateResNetSmall(seed, channels, classes),
        _ => throw new ArgumentException($"Unknown model '{name}'; known models: {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>
    /// LeNet-5 (LeCun et al., Proc. IEEE 1998) in its common modern form: conv5×5(6, pad 2)–ReLU–maxpool2–conv5×5(16)–ReLU–
    /// maxpool2–fc120–ReLU–fc84–ReLU–fc10; padding 2 makes 28×28 inputs behave like the original 32×32. 61 706 parameters.
    /// </summary>
    public static Network CreateLeNet5(int seed, int channels = 1, int classes = 10)
    {
        var rng = new Random(seed);
        var body = new Sequential(
            ("conv1", new Conv2d(channels, 6, 5, rng, padding: 2)),
            ("relu1", new Relu()),
            ("pool1", new MaxPool2d(2)),
            ("conv2", new Conv2d(6, 16, 5, rng)),
            ("relu2", new Relu()),
            ("pool2", new MaxPool2d(2)),
            ("flatten", new Flatten()),
            ("fc1", new Linear(16 * 5 * 5, 120, rng)),
            ("relu3", new Relu()),
            ("fc2", new Linear(120, 84, rng)),
            ("relu4", new Relu()),
            ("fc3", new Linear(84, classes, rng)));
        return new Network(LeNet5, body, [channels, 28, 28], classes);
    }

    /// <summary>
    /// VGG-style (Simonyan &amp; Zisserman 2015): [conv3×3–ReLU]×2 per stage at 16/32/64 channels with max pooling,
    /// then fc128–ReLU–fc(classes). 28→14→7→3.
    /// </summary>
    public static Network CreateVggSmall(int seed, int channels = 1, int classes = 10)
    {
        var rng = new Random(seed);
        var body = new Sequential(
            ("conv1", new Conv2d(channels, 16, 3, rng, padding: 1)),
            ("relu1", new Relu()),
            ("pool1", new MaxPool2d(2)),
            ("conv2", new Conv2d(16, 32, 3, rng, padding: 1)),
            ("relu2", new Relu()),
            ("pool2", new MaxPool2d(2)),
            ("conv3", new Conv2d(32, 64, 3, rng, padding: 1)),
            ("relu3", new Relu()),
            ("conv4", new Conv2d(64, 64, 3, rng, padding: 1)),
            ("relu4", new Relu()),
            ("pool3", new MaxPool2d(2)),
            ("flatten", new Flatten()),
            ("fc1", new Linear(64 * 3 * 3, 128, rng)),
            ("relu5", new Relu()),
            ("fc2", new Linear(128, classes, rng)));
        return new Network(VggSmall, body, [channels, 28, 28], classes);
    }

    /// <summary>
    /// A small ResNet (He et al., CVPR 2016, CIFAR variant): conv3×3(16)–BN–ReLU, basic blocks at 16, 32 (stride 2) and
    /// 64 (stride 2) channels with 1×1 projection shortcuts where the shape changes, global average pooling, fc(classes).
    /// Convolutions before BatchNorm have no bias, as in the paper.
    /// </summary>
    public static Network CreateResNetSmall(int seed, int channels = 1, int classes = 10)
    {
        var rng = new Random(seed);
        var body = new Sequential(
            ("conv1", new Conv2d(channels, 16, 3, rng, padding: 1, bias: false)),
            ("bn1", new BatchNorm2d(16)),
            ("relu1", new Relu()),
            ("layer1", Block(16, 16, 1, rng)),
            ("layer2", Block(16, 32, 2, rng)),
            ("layer3", Block(32, 64, 2, rng)),
            ("pool", new AvgPool2d(0)),
            ("flatten", new Flatten()),
            ("fc", new Linear(64, classes, rng)));
        return new Network(ResNetSmall, body, [channels, 28, 28], classes);
    }

    private static ResidualBlock Block(int inChannels, int outChannels, int stride, Random rng)
    {
        var main = new Sequential(
            ("conv1", new Conv2d(inChannels, outChannels, 3, rng, stride: stride, padding: 1, bias: false)),
            ("bn1", new BatchNorm2d(outChannels)),
            ("relu1", new Relu()),
            ("conv2", new Conv2d(outChannels, outChannels, 3, rng, padding: 1, bias: false)),
            ("bn2", new BatchNorm2d(outChannels)));
        Module? shortcut = stride == 1 && inChannels == outChannels
            ? null
            : new Sequential(
                ("0", new Conv2d(inChannels, outChannels, 1, rng, stride: stride, bias: false)),
                ("1", new BatchNorm2d(outChannels)));
        return new ResidualBlock(main, shortcut);
    }
}
