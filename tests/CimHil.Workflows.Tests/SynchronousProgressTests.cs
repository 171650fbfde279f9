namespace CimHil.Workflows.Tests;

public class SynchronousProgressTests
{
    [Fact]
    public void Report_CallsTheHandlerAtOnceOnTheReportingThread()
    {
        var seen = new List<(StageProgress Event, int Thread)>();
        IProgress<StageProgress> progress = new SynchronousProgress<StageProgress>(p => seen.Add((p, Environment.CurrentManagedThreadId)));

        progress.Report(new StageProgress("monte-carlo", 3, 10, "chip 3/10"));

        // Already there when Report returns (Progress<T> would have queued it on the thread pool).
        var (e, thread) = Assert.Single(seen);
        Assert.Equal(new StageProgress("monte-carlo", 3, 10, "chip 3/10"), e);
        Assert.Equal(Environment.CurrentManagedThreadId, thread);
    }

    [Fact]
    public void None_DropsEveryEvent() =>
        SynchronousProgress<StageProgress>.None.Report(new StageProgress("report", 1, 1));
}
