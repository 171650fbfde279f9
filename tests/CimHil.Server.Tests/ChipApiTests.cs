using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace CimHil.Server.Tests;

/// <summary>The chip endpoints over real HTTP against a served emulator: identity and limits, reads, a pulse, the safety refusal.</summary>
public sealed class ChipApiTests : IAsyncLifetime
{
    private ServedBench _bench = null!;

    public async Task InitializeAsync() => _bench = await ServedBench.StartAsync(size: 8);

    public async Task DisposeAsync() => await _bench.DisposeAsync();

    [Fact]
    public async Task Chip_ReportsIdentityGeometryAndTheConfiguredLimits()
    {
        var chip = await _bench.Http.GetFromJsonAsync<JsonElement>("api/chip");

        Assert.Equal(8, chip.GetProperty("rows").GetInt32());
        Assert.Equal(8, chip.GetProperty("columns").GetInt32());
        Assert.Equal("emulator", chip.GetProperty("driver").GetString());
        Assert.Equal(3.0, chip.GetProperty("limits").GetProperty("maxSetVoltageV").GetDouble());
        Assert.Equal(0.5, chip.GetProperty("limits").GetProperty("maxReadVoltageV").GetDouble());
        Assert.Equal("rram", chip.GetProperty("identity").GetProperty("technology").GetString());
    }

    [Fact]
    public async Task Reads_OfACellARowAndABlock_ReturnConductancesOfTheirShape()
    {
        var cell = await _bench.Http.GetFromJsonAsync<JsonElement>("api/chip/cells/2/3?readVoltageV=0.1");
        var row = await _bench.Http.GetFromJsonAsync<JsonElement>("api/chip/rows/5");
        var block = await _bench.Http.GetFromJsonAsync<JsonElement>("api/chip/block?row=1&column=2&rows=3&columns=4");

        Assert.Equal(0.1, cell.GetProperty("readVoltageV").GetDouble());
        Assert.Equal(cell.GetProperty("currentA").GetDouble() / 0.1, cell.GetProperty("conductanceS").GetDouble(), 12);
        // Unformed cells read near 0 S with read noise of either sign; a formed one reads tens of µS.
        Assert.InRange(cell.GetProperty("conductanceS").GetDouble(), -1e-6, 1e-3);
        Assert.Equal(8, row.GetProperty("conductancesS").GetArrayLength());
        Assert.Equal(0.2, row.GetProperty("readVoltageV").GetDouble());
        Assert.Equal(12, block.GetProperty("conductancesS").GetArrayLength());
        Assert.All(block.GetProperty("conductancesS").EnumerateArray(), g => Assert.InRange(g.GetDouble(), -1e-6, 1e-3));
    }

    [Fact]
    public async Task Read_OutsideTheArray_Is400NamingTheCell()
    {
        using var response = await _bench.Http.GetAsync("api/chip/cells/8/0");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("(8,0)", body, StringComparison.Ordinal);
        Assert.Contains("8x8", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Read_AboveTheReadLimit_Is422NamingTheLimit()
    {
        using var response = await _bench.Http.GetAsync("api/chip/cells/0/0?readVoltageV=0.9");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(0.9, body.GetProperty("value").GetDouble());
        Assert.Equal(0.5, body.GetProperty("limit").GetDouble());
        Assert.Contains("nothing was applied", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Program_WithinTheLimits_AppliesThePulseAndReadsBeforeAndAfter()
    {
        using var response = await _bench.Http.PostAsJsonAsync("api/chip/program", new { row = 1, column = 1, polarity = "reset", amplitudeV = 1.2, widthSeconds = 1e-6 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1.2, body.GetProperty("pulse").GetProperty("amplitudeV").GetDouble());
        Assert.Equal(1e-6, body.GetProperty("pulse").GetProperty("widthSeconds").GetDouble());
        Assert.Equal("reset", body.GetProperty("pulse").GetProperty("polarity").GetString());
        Assert.True(body.GetProperty("beforeS").GetDouble() > 0);
        Assert.True(body.GetProperty("afterS").GetDouble() > 0);
        Assert.Contains("POST /api/chip/program from 127.0.0.1", _bench.ServerLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Program_OverTheSetLimit_Is422NamingTheLimit_AndIsReportedLive_AndNothingIsApplied()
    {
        await using var events = await EventStream.OpenAsync(_bench.Http);
        var before = await _bench.Http.GetFromJsonAsync<JsonElement>("api/chip/block");

        using var response = await _bench.Http.PostAsJsonAsync("api/chip/program", new { row = 0, column = 0, polarity = "set", amplitudeV = 4.5 });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var live = await events.WaitForAsync(e => EventStream.Is(e, "safety-refusal"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(4.5, body.GetProperty("value").GetDouble());
        Assert.Equal(3.0, body.GetProperty("limit").GetDouble());
        Assert.Equal("maximum", body.GetProperty("rule").GetString());
        Assert.Contains("exceeds the maximum 3 V", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(4.5, live.GetProperty("data").GetProperty("value").GetDouble());

        // The emulator keeps its array between operations (its state file): a pulse that had been applied would show.
        var after = await _bench.Http.GetFromJsonAsync<JsonElement>("api/chip/block");
        var b = before.GetProperty("conductancesS").EnumerateArray().Select(g => g.GetDouble()).ToArray();
        var a = after.GetProperty("conductancesS").EnumerateArray().Select(g => g.GetDouble()).ToArray();
        Assert.Equal(b.Length, a.Length);
        for (var i = 0; i < a.Length; i++)
        {
            // Read noise only (an unformed cell reads ~0 S); a 4.5 V pulse would have formed the cell (tens of µS).
            Assert.Equal(b[i], a[i], 2e-6);
        }
    }

    [Theory]
    [InlineData("""{ "column": 0, "polarity": "set", "amplitudeV": 1 }""", "row: required")]
    [InlineData("""{ "row": 0, "column": 0, "polarity": "up", "amplitudeV": 1 }""", "polarity: \"up\" is neither")]
    [InlineData("""{ "row": 0, "column": 0, "polarity": "set" }""", "amplitudeV: required")]
    public async Task Program_WithAMissingOrWrongField_Is400NamingIt(string json, string expected)
    {
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await _bench.Http.PostAsync("api/chip/program", content);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Program_FromAnotherSite_Is403AndNothingIsApplied()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/chip/program") { Content = JsonContent.Create(new { row = 0, column = 0, polarity = "set", amplitudeV = 1.0 }) };
        request.Headers.Add("Origin", "http://evil.example");
        using var response = await _bench.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("evil.example", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
