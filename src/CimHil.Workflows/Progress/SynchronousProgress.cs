namespace CimHil.Workflows;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler at once, on the thread that reports. <see cref="Progress{T}"/>
/// is not used on purpose: it posts every report to the captured synchronisation context, and a console program has none,
/// so reports would run later on the thread pool, out of order and after the stage they describe has moved on (or ended).
/// Handlers must therefore be quick and thread-safe where the reporter is parallel (Monte-Carlo chips).
/// </summary>
/// <typeparam name="T">The progress event.</typeparam>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Action<T> _report = report ?? throw new ArgumentNullException(nameof(report));

    /// <summary>A reporter that drops every event (a quiet console, a caller that does not watch).</summary>
    public static SynchronousProgress<T> None { get; } = new(_ => { });

    /// <inheritdoc/>
    public void Report(T value) => _report(value);
}
