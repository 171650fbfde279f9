using CimHil.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CimHil.Server.Endpoints;

/// <summary>Past runs: the list, one run's files, its measurements (paged), units, results and report.</summary>
public static class RunEndpoints
{
    /// <summary>The largest page of measurements one request returns.</summary>
    public const int MaxPageSize = 100_000;

    public static void Map(IEndpointRouteBuilder app, BenchServer server)
    {
        var runs = app.MapGroup("/api/runs");
        runs.MapGet("/", () => server.Runs.List());
        runs.MapGet("/{id}", (string id) => server.Runs.Summary(ExistingId(server, id)));
        runs.MapGet("/{id}/measurements", (string id, int? offset, int? limit) =>
        {
            var o = offset ?? 0;
            var l = limit ?? 10_000;
            if (o < 0)
            {
                throw new ApiInputException("offset", $"{o} is negative");
            }

            if (l is < 1 or > MaxPageSize)
            {
                throw new ApiInputException("limit", $"{l} is outside 1…{MaxPageSize}");
            }

            return server.Runs.Measurements(id, o, l);
        });
        runs.MapGet("/{id}/units", (string id) => server.Runs.Units(id));
        runs.MapGet("/{id}/map", (string id) => server.Runs.Map(id));
        runs.MapGet("/{id}/results", (string id) => Results.File(server.Runs.RunFile(id, RunPipeline.ResultsFile), "application/json"));
        runs.MapGet("/{id}/calibration", (string id) => Results.File(server.Runs.RunFile(id, RunPipeline.CalibrationFile), "application/json"));
        runs.MapGet("/{id}/report", (string id) => Results.File(server.Runs.RunFile(id, RunPipeline.ReportFile), "text/html; charset=utf-8"));
    }

    private static string ExistingId(BenchServer server, string id)
    {
        server.Runs.Folder(id);
        return id;
    }
}
