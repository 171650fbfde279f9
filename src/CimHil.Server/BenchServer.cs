using System.Text.Json.Serialization;
using CimHil.Server.Endpoints;
using CimHil.Server.Events;
using CimHil.Server.Operations;
using CimHil.Server.Runs;
using CimHil.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ILogger = Serilog.ILogger;

namespace CimHil.Server;

/// <summary>
/// The bench server (<c>cimhil serve</c>): Kestrel on the configured address, the HTTP API (docs/api.md), the live event
/// stream and the live page, over one <see cref="BenchOperator"/> that holds the chip for one operation at a time.
/// </summary>
public sealed class BenchServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILogger _log;

    private BenchServer(WebApplication app, BenchServerOptions options, string? token, ILogger log)
    {
        _app = app;
        _log = log;
        Options = options;
        Token = token;
        Hub = new EventHub(options.EventHistory);
        Operator = new BenchOperator(options, Hub, log);
        Runs = new RunCatalog(options.RunsRoot);
    }

    public BenchServerOptions Options { get; }

    /// <summary>The token every request must carry, or null (loopback without one).</summary>
    public string? Token { get; }

    public EventHub Hub { get; }

    public BenchOperator Operator { get; }

    public RunCatalog Runs { get; }

    /// <summary>Where it listens (the real port when 0 was asked).</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>
    /// Builds and starts the server. Binding to an address other than loopback without a token generates one: nothing is
    /// ever served off the machine without one.
    /// </summary>
    public static async Task<BenchServer> StartAsync(BenchServerOptions options, ILogger log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        var token = options.Token ?? (options.IsLoopback ? null : AccessToken.Generate());
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Directory.GetCurrentDirectory() });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.BindAddress, options.Port));
        builder.Services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
            o.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        var app = builder.Build();
        var server = new BenchServer(app, options, token, log.ForContext<BenchServer>());
        var errors = new ApiErrors(server._log);
        var guard = new RequestGuard(token, server._log);
        app.Use((context, next) => errors.InvokeAsync(context, () => guard.InvokeAsync(context, () => next(context))));
        PageEndpoints.Map(app, server);
        ChipEndpoints.Map(app, server);
        WorkflowEndpoints.Map(app, server);
        RunEndpoints.Map(app, server);
        EventEndpoints.Map(app, server);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no address");
        server.Url = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).TrimEnd('/') + "/");
        server._log.Information("Bench server listening on {Url} ({Access})", server.Url, token is null ? "loopback, no token" : "token required");
        return server;
    }

    /// <summary>Stops a running workflow (the chip to its safe state, its store resumable), then the server.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var op in Operator.Operations.Where(o => o.Status == OperationStatus.Running))
        {
            try
            {
                Operator.Stop(op.Id);
            }
            catch (NoOperationException)
            {
                // It ended meanwhile.
            }
        }

        await Task.WhenAny(Operator.Idle, Task.Delay(TimeSpan.FromSeconds(Options.StopGraceSeconds + 30))).ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
