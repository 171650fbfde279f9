using System.Text.RegularExpressions;

namespace CimHil.Cli.Tests;

/// <summary>
/// The <see cref="CliProcess"/> harness itself: a command that runs past its time is killed with its child processes,
/// and the test fails with what the command had written (it once threw a bare cancellation and left the child running).
/// </summary>
public partial class CliProcessTests
{
    [GeneratedRegex(@"cimhil serve: (http://\S+)")]
    private static partial Regex ServeUrl();

    [Fact]
    public async Task ACommandPastItsTimeout_IsKilled_AndTheTestFailsWithItsOutput()
    {
        var dir = CliProcess.EmptyFolder();

        // `serve` runs until it is stopped: past any timeout.
        var failure = await Assert.ThrowsAsync<Xunit.Sdk.FailException>(() =>
            CliProcess.RunAsync(dir, new Dictionary<string, string?>(), TimeSpan.FromSeconds(40), "serve", "--port", "0", "--config", CliHarness.ShippedConfig));

        Assert.Contains("cimhil serve --port 0", failure.Message, StringComparison.Ordinal);
        Assert.Contains("ran past 40 s and was killed", failure.Message, StringComparison.Ordinal);
        var url = ServeUrl().Match(failure.Message);
        Assert.True(url.Success, failure.Message);

        // Killed, not left behind: nothing answers on its port any more.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(new Uri(url.Groups[1].Value), "api/server")));
    }
}
