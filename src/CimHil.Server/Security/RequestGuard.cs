using System.Net;
using Microsoft.AspNetCore.Http;
using Serilog;

namespace CimHil.Server.Security;

/// <summary>
/// Runs before every endpoint: the token (when the server has one: 401 without it), a cross-site check on requests that
/// change state (a web page in the user's browser must not be able to pulse the chip through a loopback server: 403
/// when the Origin is not this server), and a structured log event for every state-changing request with its origin.
/// </summary>
public sealed class RequestGuard(string? token, ILogger log)
{
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var request = context.Request;
        var remote = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (token is not null && !AccessToken.Carries(request, token))
        {
            log.Warning("Refused {Method} {Path} from {RemoteIp}: no valid token", request.Method, request.Path.Value, remote.ToString());
            await Problem(context, StatusCodes.Status401Unauthorized, "this server requires its access token (printed by `cimhil serve` at start): send Authorization: Bearer <token> or ?token=<token>").ConfigureAwait(false);
            return;
        }

        var changesState = !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method);
        if (changesState)
        {
            var origin = request.Headers.Origin.ToString();
            if (origin.Length > 0 && !SameOrigin(origin, request))
            {
                log.Warning("Refused {Method} {Path} from {RemoteIp}: cross-site origin {Origin}", request.Method, request.Path.Value, remote.ToString(), origin);
                await Problem(context, StatusCodes.Status403Forbidden, $"Origin {origin} is not this server; state-changing requests are accepted only from its own page or from clients that send no Origin").ConfigureAwait(false);
                return;
            }

            log.Information("{Method} {Path}{Query} from {RemoteIp} (origin {Origin}, agent {UserAgent})", request.Method, request.Path.Value, request.QueryString.Value, remote.ToString(), origin.Length > 0 ? origin : "none", request.Headers.UserAgent.ToString());
        }

        await next().ConfigureAwait(false);
        if (changesState)
        {
            log.Information("{Method} {Path} from {RemoteIp} answered {StatusCode}", request.Method, request.Path.Value, remote.ToString(), context.Response.StatusCode);
        }
    }

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var o) && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    internal static Task Problem(HttpContext context, int status, string error)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiError(error));
    }
}
