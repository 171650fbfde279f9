using CimHil.Reporting.Browser;
using Xunit.Abstractions;

namespace CimHil.Reporting.Tests;

/// <summary>The generated report in a real headless Chromium (Debian's, installed by scripts/setup.sh).</summary>
public class BrowserReportTests(ITestOutputHelper output)
{
    private static readonly string[] ExpectedPlots =
    [
        ReportFigures.Ids.ConductanceMap, ReportFigures.Ids.LevelHistograms, ReportFigures.Ids.Sigma,
        ReportFigures.Ids.Drift, ReportFigures.Ids.MonteCarlo, ReportFigures.Ids.WorstCase,
        .. Enumerable.Range(0, SyntheticReport.LevelsS.Length).Select(i => $"{ReportFigures.Ids.LevelHistograms}-{i}"),
    ];

    [Fact]
    public async Task SyntheticRunReport_OpensOffline_EveryPlotVisibleWithData_AndScreenshotSaved()
    {
        // Kept beside the test binaries so the last rendering can be looked at after a run.
        var dir = Path.Combine(AppContext.BaseDirectory, "report-output");
        Directory.CreateDirectory(dir);
        var html = Path.Combine(dir, "report.html");
        var png = Path.Combine(dir, "report.png");
        File.Delete(png);
        ReportWriter.Write(SyntheticReport.Create(), html);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var result = await ReportScreenshot.CaptureAsync(html, png, cts.Token);
        output.WriteLine($"report: {html}\nscreenshot: {png}");

        Assert.Empty(result.ConsoleErrors);
        Assert.Empty(result.FailedRequests);
        Assert.Equal([new Uri(html).AbsoluteUri], result.RequestedUrls.Distinct());
        Assert.Equal("CimHil run <demo> & \"synthetic\" chip", result.Title);
        Assert.Equal(ExpectedPlots.Order(), result.Plots.Select(p => p.Id).Order());
        foreach (var plot in result.Plots)
        {
            Assert.True(plot.Visible, $"{plot.Id} not visible");
            Assert.True(plot.WidthPx > 200 && plot.HeightPx > 150, $"{plot.Id} is {plot.WidthPx}x{plot.HeightPx} px");
            Assert.True(plot.MarkCount > 0, $"{plot.Id} has no data marks");
            Assert.Equal(plot.DeclaredPoints, plot.MarkCount);
        }

        Assert.True(result.Plots.Single(p => p.Id == ReportFigures.Ids.Drift).LineCount >= SyntheticReport.LevelsS.Length);
        Assert.True(result.Plots.Single(p => p.Id == ReportFigures.Ids.LevelHistograms).LineCount >= SyntheticReport.LevelsS.Length);

        // A real PNG of a tall page: signature and a height (IHDR, big-endian at byte 20) well above one viewport.
        var bytes = await File.ReadAllBytesAsync(png, cts.Token);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
        var heightPx = (bytes[20] << 24) | (bytes[21] << 16) | (bytes[22] << 8) | bytes[23];
        Assert.True(heightPx > 2000, $"screenshot is only {heightPx} px tall");
    }

    [Fact]
    public async Task CaptureAsync_CancelledToken_ThrowsBeforeStartingTheBrowser()
    {
        var html = Path.Combine(Path.GetTempPath(), $"cimhil-cancel-{Environment.ProcessId}.html");
        ReportWriter.Write(new RunReport { Title = "x" }, html);
        try
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
                ReportScreenshot.CaptureAsync(html, html + ".png", new CancellationToken(canceled: true)));
            Assert.False(File.Exists(html + ".png"));
        }
        finally
        {
            File.Delete(html);
        }
    }

    [Fact]
    public async Task CaptureAsync_MissingChromium_ThrowsNamingThePath()
    {
        var html = Path.Combine(Path.GetTempPath(), $"cimhil-missing-{Environment.ProcessId}.html");
        ReportWriter.Write(new RunReport { Title = "x" }, html);
        try
        {
            var e = await Assert.ThrowsAsync<ReportBrowserException>(() =>
                ReportScreenshot.CaptureAsync(html, html + ".png", new BrowserOptions { ExecutablePath = "/nonexistent/chromium" }, CancellationToken.None));
            Assert.Contains("/nonexistent/chromium", e.Message);
        }
        finally
        {
            File.Delete(html);
        }
    }
}
