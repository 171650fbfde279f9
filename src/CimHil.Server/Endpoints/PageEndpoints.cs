using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CimHil.Server.Endpoints;

/// <summary>The live page: HTML, script and style from the assembly's resources (offline, no CDN).</summary>
public static class PageEndpoints
{
    public static void Map(IEndpointRouteBuilder app, BenchServer server)
    {
        // The page learns the token from its own address (?token=…), which the user was given; it is not written into
        // the HTML, so a page served without it (401) holds nothing secret.
        app.MapGet("/", () => Results.Content(Resource("index.html"), "text/html; charset=utf-8"));
        app.MapGet("/live.js", () => Results.Content(Resource("live.js"), "text/javascript; charset=utf-8"));
        app.MapGet("/live.css", () => Results.Content(Resource("live.css"), "text/css; charset=utf-8"));
        app.MapGet("/api/server", () => new
        {
            version = typeof(BenchServer).Assembly.GetName().Version?.ToString(),
            driver = server.Options.Config.Chip.Driver,
            runsRoot = server.Runs.Root,
            tokenRequired = server.Token is not null,
            limits = server.Options.Config.Chip.Safety,
        });
    }

    private static string Resource(string name)
    {
        using var stream = typeof(PageEndpoints).Assembly.GetManifestResourceStream($"CimHil.Server.Page.{name}")
            ?? throw new InvalidOperationException($"the live page's {name} is not embedded in {typeof(PageEndpoints).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

}
