using CimHil.Characterization.Plans;
using CimHil.Characterization.Store;
using CimHil.Core.Chip;
using CimHil.Core.Config;
using CimHil.Core.Safety;
using CimHil.Server.Operations;
using CimHil.Server.Runs;
using Microsoft.AspNetCore.Http;
using Serilog;

namespace CimHil.Server;

/// <summary>
/// Exceptions → HTTP answers, each with a JSON body naming what was wrong: bad input 400, a missing run 404, the chip
/// busy 409, a safety refusal 422 (with the limit), a chip or store failure 502/500.
/// </summary>
public sealed class ApiErrors(ILogger log)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        try
        {
            await next().ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            var (status, body) = Map(ex);
            if (status >= 500)
            {
                log.Error(ex, "{Method} {Path} failed: {Reason}", context.Request.Method, context.Request.Path.Value, ex.Message);
            }
            else
            {
                log.Warning("{Method} {Path} refused ({StatusCode}): {Reason}", context.Request.Method, context.Request.Path.Value, status, ex.Message);
            }

            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(body, body.GetType()).ConfigureAwait(false);
        }
    }

    public static (int Status, object Body) Map(Exception ex) => ex switch
    {
        SafetyLimitException s => (StatusCodes.Status422UnprocessableEntity, SafetyRefusal.Of(s)),
        PlanValidationException => (StatusCodes.Status422UnprocessableEntity, new ApiError(ex.Message)),
        ChipBusyException or NoOperationException => (StatusCodes.Status409Conflict, new ApiError(ex.Message)),
        RunNotFoundException => (StatusCodes.Status404NotFound, new ApiError(ex.Message)),
        ApiInputException or ConfigException or CellOutOfRangeException
            or BadHttpRequestException or System.Text.Json.JsonException => (StatusCodes.Status400BadRequest, new ApiError(ex.Message)),
        CapabilityNotSupportedException or UnsupportedOperationException => (StatusCodes.Status400BadRequest, new ApiError(ex.Message)),
        ChipException => (StatusCodes.Status502BadGateway, new ApiError(ex.Message)),
        MeasurementStoreException => (StatusCodes.Status500InternalServerError, new ApiError(ex.Message)),
        _ => (StatusCodes.Status500InternalServerError, new ApiError($"{ex.GetType().Name}: {ex.Message}")),
    };
}
