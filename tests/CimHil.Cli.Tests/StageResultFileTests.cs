using CimHil.Workflows;
using CimHil.Simulation.Models;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace CimHil.Cli.Tests;

/// <summary>The model stage's file on <c>run --resume</c>: a cut-short checkpoint is set aside (retraining is too slow to run here).</summary>
public class StageResultFileTests
{
    [Fact]
    public async Task TryLoad_TruncatedModelCheckpoint_IsSetAsideWithAWarningAndReportedMissing()
    {
        var dir = Directory.CreateTempSubdirectory("cimhil-stage-").FullName;
        var model = Path.Combine(dir, "lenet5-fmnist.safetensors");
        var bytes = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors"));
        await File.WriteAllBytesAsync(model, bytes[..(bytes.Length / 3)]);
        var events = new List<LogEvent>();
        using var log = new LoggerConfiguration().WriteTo.Sink(new ListSink(events)).CreateLogger();

        var loaded = await StageResultFile.TryLoadAsync(model, "model", (p, ct) => Checkpoint.LoadAsync(p, cancellationToken: ct), log, CancellationToken.None);

        Assert.Null(loaded);
        Assert.False(File.Exists(model));
        Assert.Equal(bytes.Length / 3, new FileInfo(model + StageResultFile.DamagedSuffix).Length);
        var warning = Assert.Single(events);
        Assert.Equal(LogEventLevel.Warning, warning.Level);
        Assert.StartsWith($"Stage \"model\": \"{model}\" is damaged (", warning.RenderMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryLoad_IntactModelCheckpoint_IsLoadedAndLeftInPlace()
    {
        var model = Path.Combine(AppContext.BaseDirectory, "models", "lenet5-fmnist.safetensors");
        using var log = new LoggerConfiguration().CreateLogger();

        var loaded = await StageResultFile.TryLoadAsync(model, "model", (p, ct) => Checkpoint.LoadAsync(p, cancellationToken: ct), log, CancellationToken.None);

        Assert.NotNull(loaded);
        Assert.True(File.Exists(model));
    }

    private sealed class ListSink(List<LogEvent> events) : ILogEventSink
    {
        public void Emit(LogEvent logEvent) => events.Add(logEvent);
    }
}
