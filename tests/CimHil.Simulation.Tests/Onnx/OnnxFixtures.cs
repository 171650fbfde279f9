using System.Text.Json;
using CimHil.Simulation.Data;
using CimHil.Simulation.Engine;
using Microsoft.ML.OnnxRuntime;

namespace CimHil.Simulation.Tests.Onnx;

/// <summary>The PyTorch-exported fixtures of tests/fixtures/onnx (made by make_onnx_fixtures.py) and ONNX Runtime as reference.</summary>
internal static class OnnxFixtures
{
    public static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx");

    public static readonly string[] Names = ["lenet5", "mlp", "residual-cnn", "depthwise-separable"];

    public static string PathOf(string name) => Path.Combine(Folder, name + ".onnx");

    public static (Tensor X, int[] Labels) TestData()
    {
        var x = Npy.Parse(File.ReadAllBytes(Path.Combine(Folder, "test-x.npy")));
        var y = Npy.Parse(File.ReadAllBytes(Path.Combine(Folder, "test-y.npy")));
        return (new Tensor(x.Floats!, x.Shape), y.Int64s!.Select(v => (int)v).ToArray());
    }

    /// <summary>PyTorch's recorded number of correct predictions on the test data.</summary>
    public static int RecordedCorrect(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "fixtures.json")));
        return doc.RootElement.GetProperty("fixtures").GetProperty(name).GetProperty("correct").GetInt32();
    }

    public static float[] RecordedLogits(string name) => Npy.Parse(File.ReadAllBytes(Path.Combine(Folder, name + ".logits.npy"))).Floats!;

    /// <summary>The model's output computed by ONNX Runtime (CPU, default options).</summary>
    public static float[] OnnxRuntimeOutput(string modelPath, Tensor x)
    {
        using var session = new InferenceSession(modelPath);
        var inputName = session.InputMetadata.Keys.Single();
        var input = new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>(x.Data, x.ShapeArray());
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)]);
        return results[0].AsTensor<float>().ToArray();
    }

    /// <summary>Largest |a − b| / max(|b|, 1) (relative for large values, absolute near zero).</summary>
    public static double MaxRelativeError(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(b.Length, a.Length);
        double worst = 0;
        for (var i = 0; i < a.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(a[i] - b[i]) / Math.Max(Math.Abs(b[i]), 1.0));
        }

        return worst;
    }

    public static float[] LogSoftmax(Tensor logits)
    {
        int n = logits.Dim(0), c = logits.Dim(1);
        var y = new float[n * c];
        for (var i = 0; i < n; i++)
        {
            var row = logits.Data.AsSpan(i * c, c);
            double max = double.NegativeInfinity, sum = 0;
            foreach (var v in row)
            {
                max = Math.Max(max, v);
            }

            foreach (var v in row)
            {
                sum += Math.Exp(v - max);
            }

            var lse = max + Math.Log(sum);
            for (var j = 0; j < c; j++)
            {
                y[(i * c) + j] = (float)(row[j] - lse);
            }
        }

        return y;
    }
}
