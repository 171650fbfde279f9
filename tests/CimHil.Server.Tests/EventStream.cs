using System.Text.Json;
using System.Threading.Channels;

namespace CimHil.Server.Tests;

/// <summary>A real server-sent-events client: GET /api/events read line by line off the socket, each data line parsed.</summary>
public sealed class EventStream : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _reader;

    private EventStream(HttpResponseMessage response)
    {
        Response = response;
        _reader = Task.Run(ReadAsync);
    }

    public HttpResponseMessage Response { get; }

    public List<JsonElement> Seen { get; } = [];

    public static async Task<EventStream> OpenAsync(HttpClient http, string path = "api/events")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new EventStream(response);
    }

    /// <summary>The next event matching <paramref name="match"/> (events before it are kept in <see cref="Seen"/>).</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cts.Token);
            Seen.Add(e);
            if (match(e))
            {
                return e;
            }
        }
    }

    public static bool Is(JsonElement e, string type) => e.GetProperty("type").GetString() == type;

    public static bool IsOperation(JsonElement e, string status) =>
        Is(e, "operation") && e.GetProperty("data").GetProperty("status").GetString() == status;

    private async Task ReadAsync()
    {
        try
        {
            using var stream = await Response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    _events.Writer.TryWrite(JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException or ObjectDisposedException)
        {
            // Closed by the test.
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reader;
        }
        catch (ObjectDisposedException)
        {
            // The connection closed under the read.
        }

        Response.Dispose();
        _stop.Dispose();
    }
}
