using System.Text.Json;
using CimHil.Core.Config;
using CimHil.Core.IO;
using CimHil.Simulation.Mapping;
using CimHil.Simulation.Robustness;
using StudyWorkflow = CimHil.Workflows.Study;

namespace CimHil.Workflows.Tests;

/// <summary><c>study --model net.onnx</c>: the setting accepts an existing .onnx file, and the file's hash keys the model cache.</summary>
public sealed class StudyOnnxModelTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("cimhil-study-onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static StudySettings Parse(string model) =>
        StudySettings.Parse(new JsonSection(JsonSection.Parse($$"""{"model": {{JsonSerializer.Serialize(model)}}}""", "t").Element, "study"));

    [Fact]
    public void Model_AnExistingOnnxFile_IsAccepted()
    {
        var file = Path.Combine(_folder, "net.onnx");
        File.WriteAllBytes(file, [1, 2, 3]);

        Assert.Equal(file, Parse(file).Model);
        Assert.Equal("lenet5", Parse("lenet5").Model);
    }

    [Theory]
    [InlineData("missing.onnx", "does not exist")]
    [InlineData("alexnet", "neither a built-in model")]
    public void Model_NeitherBuiltInNorAnExistingOnnxFile_FailsAtItsJsonPath(string model, string message)
    {
        var ex = Assert.Throws<ConfigException>(() => Parse(model));

        Assert.Equal("study.model", ex.JsonPath);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Contains(model, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CacheKey_DependsOnTheOnnxFilesBytes_AndIsUnchangedForBuiltInModels()
    {
        var a = Path.Combine(_folder, "a.onnx");
        var b = Path.Combine(_folder, "b.onnx");
        File.WriteAllBytes(a, [1, 2, 3]);
        File.WriteAllBytes(b, [1, 2, 4]);
        var settings = Parse(a);
        var parameters = RobustnessMethods.Parameters(RobustnessMethods.Noise, settings.Parameters);
        var mapping = new CimMappingOptions();

        var keyA = StudyWorkflow.CacheKey(settings, RobustnessMethods.Noise, 1, parameters, mapping, await FileHash.Sha256HexAsync(a, CancellationToken.None));
        var keyB = StudyWorkflow.CacheKey(settings, RobustnessMethods.Noise, 1, parameters, mapping, await FileHash.Sha256HexAsync(b, CancellationToken.None));

        Assert.NotEqual(keyA, keyB);
        Assert.NotEqual(keyA, StudyWorkflow.CacheKey(settings, RobustnessMethods.Noise, 1, parameters, mapping));
        var builtIn = Parse("lenet5");
        Assert.Equal(StudyWorkflow.CacheKey(builtIn, RobustnessMethods.Noise, 1, parameters, mapping), StudyWorkflow.CacheKey(builtIn, RobustnessMethods.Noise, 1, parameters, mapping, null));
    }
}
