using CimHil.Characterization;
using CimHil.Characterization.Plans;
using CimHil.Characterization.Procedures;
using CimHil.Server.Jobs;
using CimHil.Server.Operations;
using CimHil.Workflows;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CimHil.Server.Endpoints;

/// <summary>Start, stop and follow workflows: one at a time, each in a run folder under runs/ that a later start resumes.</summary>
public static class WorkflowEndpoints
{
    public static void Map(IEndpointRouteBuilder app, BenchServer server)
    {
        app.MapGet("/api/operation", () => server.Operator.Current is { } op ? Results.Ok(op) : Results.NoContent());
        app.MapPost("/api/operation/stop", () => Results.Accepted(value: server.Operator.Stop()));
        app.MapPost("/api/workflows/{kind}", (string kind, WorkflowRequest? request) =>
        {
            var state = Start(server, kind, request ?? new WorkflowRequest());
            return Results.Accepted($"/api/operation", state);
        });
    }

    private static OperationState Start(BenchServer server, string kind, WorkflowRequest request)
    {
        var config = server.Options.Config;
        var options = new CharacterizerOptions { ResumeOnNewChip = request.ResumeOnNewChip };
        switch (kind)
        {
            case "characterize" or "characterise":
            {
                // Everything the request names is checked here, before the chip is touched: a wrong plan is a 400 now,
                // not a failed operation later.
                CharacterizationPlan? plan = null;
                string folder;
                if (request.Resume is { } resume)
                {
                    folder = server.Runs.Folder(resume);
                    server.Runs.RunFile(resume, RunPipeline.DatabaseFile);
                }
                else
                {
                    var registry = ProcedurePlugins.Registry(config);
                    plan = request switch
                    {
                        { PlanJson: { } json } => CharacterizationPlan.Parse(json.GetRawText(), "planJson", registry),
                        { Plan: { } path } => File.Exists(path) ? CharacterizationPlan.Load(path, registry) : throw new ApiInputException("plan", $"no plan file {path} (relative to the server's folder {Directory.GetCurrentDirectory()})"),
                        _ => throw new ApiInputException("plan", "a new characterisation needs \"plan\" (a plan file) or \"planJson\" (the plan); \"resume\" continues a run"),
                    };
                    folder = server.Runs.NewFolder(DateTimeOffset.UtcNow);
                }

                var job = new CharacterizationJob(config, plan, folder, options);
                return server.Operator.Start("characterize", RunFolder.IdOf(folder), needsChip: true, job.RunAsync);
            }

            case "run":
            {
                var settings = RunSettings.Parse(config.Section("run"));
                var folder = request.Resume is { } resume ? server.Runs.Folder(resume) : server.Runs.NewFolder(DateTimeOffset.UtcNow);
                var job = new RunJob(config, settings, folder, options);
                return server.Operator.Start("run", RunFolder.IdOf(folder), needsChip: true, job.RunAsync);
            }

            case "calibrate":
            {
                var run = request.Run ?? request.Resume ?? throw new ApiInputException("run", "required: the run whose measurements to fit");
                server.Runs.RunFile(run, RunPipeline.DatabaseFile);
                var settings = RunSettings.Parse(config.Section("run"));
                var job = new CalibrationJob(server.Runs.Folder(run), settings.BootstrapSamples, settings.Seed);
                return server.Operator.Start("calibrate", run, needsChip: false, job.RunAsync);
            }

            default:
                throw new ApiInputException("kind", $"\"{kind}\" is not a workflow this server starts (characterize, run, calibrate)");
        }
    }
}
