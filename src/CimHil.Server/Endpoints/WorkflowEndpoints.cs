using CimHil.Characterization;
using CimHil.Characterization.Import;
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
        app.MapGet("/api/operations", () => Results.Ok(server.Operator.Operations));
        app.MapPost("/api/operation/stop", (string? id) => Results.Accepted(value: server.Operator.Stop(id)));
        app.MapPost("/api/workflows/{kind}", async (string kind, WorkflowRequest? request, CancellationToken ct) =>
        {
            request ??= new WorkflowRequest();
            await CheckPlanAsync(server, kind, request, ct).ConfigureAwait(false);
            var state = Start(server, kind, request);
            return Results.Accepted($"/api/operation", state);
        });
    }

    /// <summary>
    /// A new characterisation's plan, or the plan a run will characterise with, checked against the chip and its safety
    /// limits before anything starts: a plan past a limit is a 422 naming every violation and limit, not an operation
    /// that fails after it started. Holds the chip for the check (a 409 when busy, as the start would be).
    /// </summary>
    private static async Task CheckPlanAsync(BenchServer server, string kind, WorkflowRequest request, CancellationToken ct)
    {
        var config = server.Options.Config;
        if (kind is "characterize" or "characterise" && request.Resume is null)
        {
            var (plan, source) = NewPlan(server, request);
            await server.Operator.RunShortAsync("plan check", (chip, _) =>
            {
                PlanValidator.Check(plan, chip).ThrowIfInvalid(source);
                return Task.FromResult(true);
            }, ct).ConfigureAwait(false);
        }
        else if (kind == "run")
        {
            var settings = RunSettings.Parse(config.Section("run"));
            await server.Operator.RunShortAsync("plan check", (chip, _) =>
            {
                // The plan RunPipeline will load: run.plan, else the chip technology's default.
                var path = settings.Plan ?? Path.Combine("plans", $"default-{chip.Identity.Technology.ToString().ToLowerInvariant()}.json");
                if (!File.Exists(path))
                {
                    throw new ApiInputException("run.plan", $"no plan file {path} (hil-config.json run.plan, relative to the server's folder {Directory.GetCurrentDirectory()})");
                }

                PlanValidator.Check(CharacterizationPlan.Load(path, ProcedurePlugins.Registry(config)), chip).ThrowIfInvalid(path);
                return Task.FromResult(true);
            }, ct).ConfigureAwait(false);
        }
    }

    private static (CharacterizationPlan Plan, string Source) NewPlan(BenchServer server, WorkflowRequest request)
    {
        var registry = ProcedurePlugins.Registry(server.Options.Config);
        return request switch
        {
            { PlanJson: { } json } => (CharacterizationPlan.Parse(json.GetRawText(), "planJson", registry), "planJson"),
            { Plan: { } path } => File.Exists(path) ? (CharacterizationPlan.Load(path, registry), path) : throw new ApiInputException("plan", $"no plan file {path} (relative to the server's folder {Directory.GetCurrentDirectory()})"),
            _ => throw new ApiInputException("plan", "a new characterisation needs \"plan\" (a plan file) or \"planJson\" (the plan); \"resume\" continues a run"),
        };
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
                    plan = NewPlan(server, request).Plan;
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

            case "evaluate" or "worst-case":
            {
                // Chip-free: they run in the simulation lane and never block the bench (BenchOperator).
                var worstCase = kind == "worst-case";
                var run = request.Run ?? throw new ApiInputException("run", $"required: the run whose calibrated model to {(worstCase ? "search for its worst case" : "evaluate")}");
                server.Runs.RunFile(run, RunPipeline.CalibrationFile);
                var settings = Scaled(RunSettings.Parse(config.Section("run")), request);
                if (!File.Exists(settings.Model))
                {
                    throw new ApiInputException("run", $"the model {settings.Model} (hil-config.json run.model) does not exist; a 'run' trains and saves it");
                }

                var job = new EvaluationJob(config, settings, server.Runs.Folder(run), worstCase);
                return server.Operator.Start(kind, run, needsChip: false, job.RunAsync);
            }

            case "import":
            {
                var files = request.Files is { Length: > 0 } f ? f : throw new ApiInputException("files", "required: one or more measurement files to import");
                for (var i = 0; i < files.Length; i++)
                {
                    if (!File.Exists(files[i]))
                    {
                        throw new ApiInputException($"files[{i}]", $"no file {files[i]} (relative to the server's folder {Directory.GetCurrentDirectory()})");
                    }
                }

                var mapPath = request.Map ?? throw new ApiInputException("map", "required: the mapping file that says which column holds what (docs/import.md)");
                if (!File.Exists(mapPath))
                {
                    throw new ApiInputException("map", $"no mapping file {mapPath} (relative to the server's folder {Directory.GetCurrentDirectory()})");
                }

                var mapping = ImportMapping.Load(mapPath);
                var folder = server.Runs.NewFolder(DateTimeOffset.UtcNow);
                var job = new ImportJob(files, mapping, folder, new ImportOptions { SkipBadRows = request.SkipBadRows, Name = request.Name ?? "import" });
                return server.Operator.Start("import", RunFolder.IdOf(folder), needsChip: false, job.RunAsync);
            }

            default:
                throw new ApiInputException("kind", $"\"{kind}\" is not a workflow this server starts (characterize, run, calibrate, evaluate, worst-case, import)");
        }
    }

    /// <summary>The configured evaluation with the request's chips, images and bounds, each checked against the config's own limits.</summary>
    private static RunSettings Scaled(RunSettings settings, WorkflowRequest request)
    {
        var e = settings.Evaluation;
        if (request.Chips is { } chips && chips is < 2 or > 1_000_000)
        {
            throw new ApiInputException("chips", $"{chips} must be between 2 and 1000000 (a standard deviation needs two chips)");
        }

        if (request.Images is { } images && images is < 1 or > 10_000)
        {
            throw new ApiInputException("images", $"{images} must be between 1 and 10000 (the test set)");
        }

        if (request.Ks is { } ks)
        {
            if (ks.Length == 0)
            {
                throw new ApiInputException("ks", "needs at least one bound");
            }

            for (var i = 0; i < ks.Length; i++)
            {
                if (!(ks[i] >= 0 && ks[i] <= WorkflowLimits.MaxWorstCaseK))
                {
                    throw new ApiInputException($"ks[{i}]", $"{ks[i]} must be between 0 and {WorkflowLimits.MaxWorstCaseK}");
                }
            }
        }

        return settings with
        {
            Evaluation = e with
            {
                MonteCarloChips = request.Chips ?? e.MonteCarloChips,
                MonteCarloImages = request.Images ?? e.MonteCarloImages,
                WorstCaseImages = request.Images ?? e.WorstCaseImages,
                WorstCaseKs = request.Ks is { } k ? [.. k.Order()] : e.WorstCaseKs,
            },
        };
    }
}
