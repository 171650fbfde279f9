using CimHil.Characterization;
using CimHil.Characterization.Store;
using CimHil.Server.Jobs;
using CimHil.Server.Operations;
using CimHil.Workflows;

namespace CimHil.Server.Tests;

/// <summary>
/// A server-side <c>run</c> stops as a characterisation does while it characterises: Stop waits for the next commit
/// (<see cref="OperationContext.StopsAtCommit"/>) instead of cancelling a unit half-way, so the store holds whole units.
/// </summary>
public sealed class RunJobStopTests
{
    [Fact]
    public async Task RunJob_WhileItCharacterises_StopsAtACommit_AndEndsAtThatCommit()
    {
        var hold = WorkflowApiTests.AtMultilevelCommits();
        await using var bench = await ServedBench.StartAsync(size: 12, configure: ServedBench.SmallRun, hold: hold);
        var config = bench.Server.Options.Config;
        var folder = bench.Server.Runs.NewFolder(DateTimeOffset.UtcNow);
        var job = new RunJob(config, RunSettings.Parse(config.Section("run")), folder, new CharacterizerOptions());
        OperationContext? context = null;
        bench.Server.Operator.Start("run", RunFolder.IdOf(folder), needsChip: true, c =>
        {
            context = c;
            return job.RunAsync(c);
        });
        using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        // Held on the writing thread right after a commit: the flag the job set is what Stop reads now.
        var heldAt = await hold.NextAsync(wait.Token);
        Assert.True(context!.StopsAtCommit);
        Assert.Equal(OperationStatus.Stopping, bench.Server.Operator.Stop().Status);
        hold.Open();
        var ended = await bench.WaitEndedAsync();

        Assert.Equal("stopped", ended.GetProperty("status").GetString());
        Assert.True(ended.GetProperty("safeState").GetBoolean());
        using var store = MeasurementStore.Open(Path.Combine(folder, RunPipeline.DatabaseFile), DateTimeOffset.UtcNow, readOnly: true);
        Assert.Equal(heldAt.TotalMeasurements, store.Counts().Measurements);
        Assert.Equal(heldAt.TotalUnits, store.Units().Count);
    }
}
