using System.Text.Json;
using CimHil.Core.IO;
using Microsoft.Playwright;

namespace CimHil.Reporting.Browser;

/// <summary>How to start the browser. Defaults: Debian's /usr/bin/chromium (installed by scripts/setup.sh).</summary>
public sealed record BrowserOptions
{
    /// <summary>Chromium executable; the environment variable CIMHIL_CHROMIUM overrides the default.</summary>
    public string ExecutablePath { get; init; } = Environment.GetEnvironmentVariable("CIMHIL_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public int ViewportWidthPx { get; init; } = 1200;

    public int ViewportHeightPx { get; init; } = 900;

    /// <summary>Limit for launching, loading and capturing, each.</summary>
    public double TimeoutSeconds { get; init; } = 60;
}

/// <summary>One &lt;svg data-plot&gt; as the browser laid it out.</summary>
public sealed record RenderedPlot(string Id, bool Visible, double WidthPx, double HeightPx, int DeclaredPoints, int MarkCount, int LineCount);

/// <summary>What the browser saw while loading the report.</summary>
public sealed record ReportPageResult(
    string Title,
    IReadOnlyList<string> ConsoleErrors,
    IReadOnlyList<string> FailedRequests,
    IReadOnlyList<string> RequestedUrls,
    IReadOnlyList<RenderedPlot> Plots,
    string ScreenshotPath);

/// <summary>Thrown when the browser cannot be started or the page cannot be loaded or captured.</summary>
public sealed class ReportBrowserException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Loads a report from file:// in headless Chromium, records console errors and failed requests, measures every plot
/// and saves a full-page PNG. Lives in its own project so the report generator itself carries no browser dependency.
/// </summary>
public static class ReportScreenshot
{
    // Flags that keep Chromium quiet on a closed network and inside a root sandbox (see docs/report.md):
    // without the background-networking ones it keeps trying (and failing) to reach Google services.
    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private const string PlotProbe = """
        () => Array.from(document.querySelectorAll('svg[data-plot]')).map(s => {
          const r = s.getBoundingClientRect();
          const st = getComputedStyle(s);
          return {
            id: s.getAttribute('data-plot'),
            visible: st.display !== 'none' && st.visibility !== 'hidden' && r.width > 0 && r.height > 0,
            width: r.width, height: r.height,
            declared: parseInt(s.getAttribute('data-points') ?? '-1', 10),
            marks: s.querySelectorAll('.mark').length,
            lines: s.querySelectorAll('path.data-line').length,
          };
        })
        """;

    /// <summary>Opens <paramref name="htmlPath"/>, checks it and writes a full-page screenshot to <paramref name="pngPath"/>.</summary>
    public static Task<ReportPageResult> CaptureAsync(string htmlPath, string pngPath, CancellationToken cancellationToken) =>
        CaptureAsync(htmlPath, pngPath, new BrowserOptions(), cancellationToken);

    /// <summary>As <see cref="CaptureAsync(string, string, CancellationToken)"/> with explicit browser options.</summary>
    public static async Task<ReportPageResult> CaptureAsync(string htmlPath, string pngPath, BrowserOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var fullHtml = Path.GetFullPath(htmlPath);
        if (!File.Exists(fullHtml))
        {
            throw new FileNotFoundException($"Report '{fullHtml}' does not exist.", fullHtml);
        }

        if (!File.Exists(options.ExecutablePath))
        {
            throw new ReportBrowserException(
                $"Chromium executable '{options.ExecutablePath}' not found; run scripts/setup.sh (Debian package chromium) or set CIMHIL_CHROMIUM.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var timeoutMs = (float)(options.TimeoutSeconds * 1000);
        var userDataDir = Directory.CreateTempSubdirectory("cimhil-chromium-").FullName;
        var consoleErrors = new List<string>();
        var failed = new List<string>();
        var requested = new List<string>();
        var gate = new Lock();
        try
        {
            using var playwright = await Playwright.CreateAsync().ConfigureAwait(false);

            // A persistent context on a fresh, empty profile directory: the same as --user-data-dir=<new dir>,
            // which Playwright does not accept as a raw argument.
            await using var context = await playwright.Chromium.LaunchPersistentContextAsync(userDataDir, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = options.ExecutablePath,
                Headless = true,
                Args = ChromiumArgs,
                Timeout = timeoutMs,
                ViewportSize = new ViewportSize { Width = options.ViewportWidthPx, Height = options.ViewportHeightPx },
                Offline = true,
            }).ConfigureAwait(false);
            using var registration = cancellationToken.Register(() => _ = context.CloseAsync());

            var page = context.Pages.Count > 0 ? context.Pages[0] : await context.NewPageAsync().ConfigureAwait(false);
            page.Console += (_, message) =>
            {
                if (message.Type == "error")
                {
                    lock (gate)
                    {
                        consoleErrors.Add(message.Text);
                    }
                }
            };
            page.PageError += (_, error) =>
            {
                lock (gate)
                {
                    consoleErrors.Add("page error: " + error);
                }
            };
            page.RequestFailed += (_, request) =>
            {
                lock (gate)
                {
                    failed.Add($"{request.Url}: {request.Failure}");
                }
            };
            page.Request += (_, request) =>
            {
                lock (gate)
                {
                    requested.Add(request.Url);
                }
            };

            await page.GotoAsync(new Uri(fullHtml).AbsoluteUri, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = timeoutMs }).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var title = await page.TitleAsync().ConfigureAwait(false);
            var probe = await page.EvaluateAsync<JsonElement>(PlotProbe).ConfigureAwait(false);
            var plots = probe.EnumerateArray().Select(p => new RenderedPlot(
                p.GetProperty("id").GetString() ?? string.Empty,
                p.GetProperty("visible").GetBoolean(),
                p.GetProperty("width").GetDouble(),
                p.GetProperty("height").GetDouble(),
                p.GetProperty("declared").GetInt32(),
                p.GetProperty("marks").GetInt32(),
                p.GetProperty("lines").GetInt32())).ToList();

            // Playwright's own visibility check as well (it also considers zero-size ancestors and opacity).
            for (var i = 0; i < plots.Count; i++)
            {
                var visible = await page.Locator($"svg[data-plot=\"{plots[i].Id}\"]").First.IsVisibleAsync().ConfigureAwait(false);
                plots[i] = plots[i] with { Visible = plots[i].Visible && visible };
            }

            // Taken into memory and written atomically, so an interrupted capture never leaves a truncated PNG.
            var pngFull = Path.GetFullPath(pngPath);
            var png = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true, Type = ScreenshotType.Png, Timeout = timeoutMs }).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            await AtomicFile.WriteAllBytesAsync(pngFull, png, cancellationToken).ConfigureAwait(false);

            lock (gate)
            {
                return new ReportPageResult(title, consoleErrors.ToList(), failed.ToList(), requested.ToList(), plots, pngFull);
            }
        }
        catch (PlaywrightException e) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation closes the browser context under Playwright's feet; report it as what it is.
            throw new OperationCanceledException($"Capturing report '{fullHtml}' was cancelled.", e, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new ReportBrowserException($"Chromium '{options.ExecutablePath}' did not finish report '{fullHtml}' within {options.TimeoutSeconds} s: {e.Message}", e);
        }
        catch (PlaywrightException e)
        {
            throw new ReportBrowserException($"Chromium '{options.ExecutablePath}' failed on report '{fullHtml}': {e.Message}", e);
        }
        finally
        {
            TryDelete(userDataDir);
        }
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still hold a lock file for a moment after exit; a stale temp profile is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
