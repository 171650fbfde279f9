using Microsoft.Playwright;

namespace CimHil.Server.Tests;

/// <summary>
/// A served bench's live page in Debian's Chromium (Playwright, never a downloaded browser) at 1280×800, connected to
/// the event stream, with every script error and every request it made.
/// </summary>
public sealed class LivePage : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private LivePage(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.PageError += (_, e) => Errors.Add(e);
        page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                Errors.Add(m.Text);
            }
        };
        page.Request += (_, r) => Requested.Add(r.Url);
    }

    public static string Chromium => Environment.GetEnvironmentVariable("CIMHIL_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public IPage Page { get; }

    /// <summary>Script errors and console errors.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Every URL the page requested.</summary>
    public List<string> Requested { get; } = [];

    public static async Task<LivePage> OpenAsync(ServedBench bench)
    {
        ArgumentNullException.ThrowIfNull(bench);
        Assert.True(File.Exists(Chromium), $"{Chromium} missing: run scripts/setup.sh");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var live = new LivePage(playwright, browser, await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 800 } }));
        await live.Page.GotoAsync(bench.Server.Url.ToString());
        await live.Page.WaitForFunctionAsync("() => document.getElementById('connection').textContent === 'live'");
        return live;
    }

    /// <summary>A number the page keeps on its body (<c>data-*</c>), or -1 when it has none.</summary>
    public async Task<long> NumberAsync(string name) =>
        long.TryParse(await TextAsync(name), out var n) ? n : -1;

    /// <summary>A text the page keeps on its body (<c>data-*</c>), or "".</summary>
    public async Task<string> TextAsync(string name) =>
        await Page.EvaluateAsync<string?>($"() => document.body.dataset.{name} ?? ''") ?? string.Empty;

    /// <summary>Waits until <paramref name="condition"/> (JavaScript) holds, polling often.</summary>
    public Task WaitAsync(string condition, int timeoutMs = 60_000) =>
        Page.WaitForFunctionAsync($"() => {condition}", null, new PageWaitForFunctionOptions { Timeout = timeoutMs, PollingInterval = 20 });

    /// <summary>
    /// Returns once the page has drawn everything it holds: the page draws at most once per animation frame, so after
    /// two frames the one that drew the last change has run (no timed wait).
    /// </summary>
    public Task NextFramesAsync() =>
        Page.EvaluateAsync("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done())))");

    /// <summary>A screenshot into $CIMHIL_SCREENSHOTS (docs/img/ holds the committed ones), else the temp folder.</summary>
    public async Task ShotAsync(string name)
    {
        var dir = Environment.GetEnvironmentVariable("CIMHIL_SCREENSHOTS") is { Length: > 0 } d ? d : Path.GetTempPath();
        Directory.CreateDirectory(dir);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name) });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
