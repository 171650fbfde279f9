using CimHil.Workflows;
using Spectre.Console;

namespace CimHil.Cli.Commands;

/// <summary>
/// How the CLI shows a workflow's <see cref="StageProgress"/> events: one Spectre progress bar per stage (run, study) on a
/// terminal, plain lines (<see cref="StageProgressLines"/>) when stdout is redirected, or nothing.
/// </summary>
internal static class StageProgressBars
{
    /// <summary>Runs <paramref name="workflow"/> with a bar for each of <paramref name="stages"/> (in order), or quietly.</summary>
    public static Task<T> RunAsync<T>(bool quiet, IEnumerable<string> stages, Func<IProgress<StageProgress>, Task<T>> workflow) =>
        RunAsync(quiet ? ProgressDisplay.None : ProgressDisplay.Bars, stages, workflow, TextWriter.Null);

    /// <summary>Runs <paramref name="workflow"/> showing its progress as <paramref name="display"/> says; plain lines go to <paramref name="lines"/>.</summary>
    public static async Task<T> RunAsync<T>(ProgressDisplay display, IEnumerable<string> stages, Func<IProgress<StageProgress>, Task<T>> workflow, TextWriter lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        if (display == ProgressDisplay.None)
        {
            return await workflow(SynchronousProgress<StageProgress>.None);
        }

        if (display == ProgressDisplay.Lines)
        {
            var shown = new StageProgressLines(lines);
            return await workflow(new SynchronousProgress<StageProgress>(shown.Show));
        }

        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var tasks = stages.ToDictionary(s => s, s => progress.AddTask(Markup.Escape(s), autoStart: false, maxValue: 1));

                // Synchronous, so each bar moves while its stage runs (see SynchronousProgress).
                return await workflow(new SynchronousProgress<StageProgress>(p => Show(tasks, p)));
            });
    }

    private static void Show(Dictionary<string, ProgressTask> tasks, StageProgress p)
    {
        if (!tasks.TryGetValue(p.Stage, out var task))
        {
            return;
        }

        if (!task.IsStarted)
        {
            task.StartTask();
        }

        task.MaxValue = Math.Max(p.Total, 1e-9);
        task.Value = Math.Min(p.Done, task.MaxValue);
        task.Description = Markup.Escape(p.Detail is null ? p.Stage : $"{p.Stage}: {p.Detail}");
        if (p.Done >= p.Total && p.Detail is null)
        {
            task.StopTask();
        }
    }
}
