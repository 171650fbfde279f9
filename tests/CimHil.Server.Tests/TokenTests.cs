using System.Net;
using System.Net.Http.Headers;

namespace CimHil.Server.Tests;

/// <summary>A server bound off loopback requires its token on every request, the page and the event stream included.</summary>
public sealed class TokenTests
{
    [Theory]
    [InlineData("")]
    [InlineData("api/chip")]
    [InlineData("api/events")]
    [InlineData("api/runs")]
    [InlineData("api/operation")]
    public async Task NonLoopbackBind_WithoutTheToken_Is401(string path)
    {
        await using var bench = await ServedBench.StartAsync(size: 4, bind: IPAddress.Any);

        using var response = await bench.Http.GetAsync(path);

        Assert.NotNull(bench.Server.Token);
        Assert.Equal(64, bench.Server.Token!.Length);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("access token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NonLoopbackBind_RefusesAWrongToken_AndAcceptsTheRightOne_AsHeaderOrQuery()
    {
        await using var bench = await ServedBench.StartAsync(size: 4, bind: IPAddress.Any);
        var token = bench.Server.Token!;

        using var wrong = new HttpRequestMessage(HttpMethod.Post, "api/operation/stop");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token[..^1] + (token[^1] == '0' ? "1" : "0"));
        using var wrongAnswer = await bench.Http.SendAsync(wrong);
        using var header = new HttpRequestMessage(HttpMethod.Get, "api/chip");
        header.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var headerAnswer = await bench.Http.SendAsync(header);
        using var query = await bench.Http.GetAsync($"?token={token}");
        await using var events = await EventStream.OpenAsync(bench.Http, $"api/events?token={token}");

        Assert.Equal(HttpStatusCode.Unauthorized, wrongAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, headerAnswer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        Assert.Equal(HttpStatusCode.OK, events.Response.StatusCode);
        Assert.Equal("text/event-stream", events.Response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Refused POST /api/operation/stop", bench.ServerLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoopbackBind_NeedsNoToken()
    {
        await using var bench = await ServedBench.StartAsync(size: 4);

        using var response = await bench.Http.GetAsync("api/runs");

        Assert.Null(bench.Server.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
