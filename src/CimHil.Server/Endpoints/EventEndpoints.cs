using System.Globalization;
using System.Text.Json;
using CimHil.Server.Events;
using CimHil.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CimHil.Server.Endpoints;

/// <summary>
/// GET /api/events: the live stream as server-sent events (WHATWG HTML, "Server-sent events"): each event one
/// <c>id:</c> and one <c>data:</c> line holding the whole <see cref="BenchEvent"/> as JSON, its type inside, so a client
/// subscribes once and handles every type, present and future. A reconnecting client sends Last-Event-ID and gets what
/// it missed (while it is still kept).
/// </summary>
public static class EventEndpoints
{
    private static readonly JsonSerializerOptions Compact = new(WorkflowJson.Options) { WriteIndented = false };

    public static void Map(IEndpointRouteBuilder app, BenchServer server)
    {
        app.MapGet("/api/events", async (HttpContext context) =>
        {
            long? after = long.TryParse(context.Request.Headers["Last-Event-ID"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
            var response = context.Response;
            response.ContentType = "text/event-stream";
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            var (backlog, live, subscription) = server.Hub.Subscribe(after);
            using (subscription)
            {
                var ct = context.RequestAborted;
                try
                {
                    // A comment first, so the client sees the stream open before the first event.
                    await response.WriteAsync(": cimhil events\n\n", ct);
                    foreach (var e in backlog)
                    {
                        await WriteAsync(response, e, ct);
                    }

                    await response.Body.FlushAsync(ct);
                    while (await live.WaitToReadAsync(ct))
                    {
                        // Batched: everything queued goes out in one flush (a 128×128 characterisation commits often).
                        while (live.TryRead(out var e))
                        {
                            await WriteAsync(response, e, ct);
                        }

                        await response.Body.FlushAsync(ct);
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // The client went away.
                }
            }
        });
    }

    private static Task WriteAsync(HttpResponse response, BenchEvent e, CancellationToken ct) =>
        response.WriteAsync($"id: {e.Id}\ndata: {JsonSerializer.Serialize(e, Compact)}\n\n", ct);
}
