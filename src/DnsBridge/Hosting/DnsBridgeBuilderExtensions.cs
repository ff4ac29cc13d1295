using DnsBridge.Admin;
using DnsBridge.Alerts;
using DnsBridge.Cluster;
using DnsBridge.Configuration;
using DnsBridge.Connections;
using DnsBridge.Drain;
using DnsBridge.Forwarding;
using DnsBridge.Listeners;
using DnsBridge.Mirror;
using DnsBridge.Phases;
using DnsBridge.Preflight;
using DnsBridge.Propagation;
using DnsBridge.Residual;
using DnsBridge.State;
using Prometheus;
using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace DnsBridge.Hosting;

/// <summary>Composition of the DnsBridge service: listeners, logging, metrics, forwarder and the features.</summary>
internal static class DnsBridgeBuilderExtensions
{
    public static WebApplicationBuilder AddDnsBridge(this WebApplicationBuilder builder, ServeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var config = settings.Config;
        var services = builder.Services;

        builder.Configuration.Sources.Clear();
        builder.Configuration.AddDnsBridgeSources(settings.Source.File, watch: true, settings.Source.LoadErrors);

        var logBuffer = AddLogging(builder, settings);

        builder.AddListeners(config);

        // One registry per instance (not prometheus-net's static default): tests and the demo run several in one process.
        var registry = Metrics.NewCustomRegistry();
        services.AddSingleton(registry);
        var metrics = Metrics.WithCustomRegistry(registry);
        services.AddSingleton<IMetricFactory>(metrics);
        logBuffer.Publish(metrics, registry);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(settings.Source);
        services.AddSingleton(sp => new ConfigMonitor(config, builder.Configuration, settings.Source,
            sp.GetRequiredService<IMetricFactory>(), sp.GetRequiredService<ILogger<ConfigMonitor>>()));
        services.AddState();
        services.AddCluster(config);
        services.AddResidual();
        services.AddForwarding();
        services.AddConnectionForwarding();
        services.AddPropagation(config);
        services.AddMirror();
        services.AddPhases();
        // A replica of a cluster stays ready while PostgreSQL is down: it forwards and counts in memory, and taking every
        // replica out of the load balancer at once would turn a database outage into an outage of the application.
        if (!config.State.IsPostgres)
        {
            services.AddSingleton<IReadinessCheck>(sp => new ReadinessCheck("state store", sp.GetRequiredService<IStateDatabase>().Problem));
        }

        services.AddDrain();
        services.AddAlerts();
        services.AddAdmin();
        services.AddPreflight();
        services.AddHostedService<StartupReporter>();

        // On SIGTERM Kestrel stops accepting at once, then waits this long for requests in flight (and open
        // WebSockets) before cutting them.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = config.Limits.ShutdownTimeout);

        settings.ConfigureServices?.Invoke(services);
        return builder;
    }

    public static WebApplication UseDnsBridge(this WebApplication app)
    {
        var listeners = app.Services.GetRequiredService<ListenerEndpoints>();
        var proxy = ActivatorUtilities.CreateInstance<ProxyMiddleware>(app.Services, (RequestDelegate)(_ => Task.CompletedTask));

        // Eagerly build what the first request would otherwise pay for, and open the state store now, so a
        // damaged or unwritable one stops the start with a clear message instead of failing later.
        // The listeners bind only after this (app.RunAsync), on purpose: DrainDetector restores each cutover's counter
        // to its stored totals by difference (ResidualCounter.Restore adds what is missing), so a request counted
        // before the restore would vanish into the stored total. Exact counts across a restart are worth the wait for
        // the store (milliseconds for a local SQLite file). Nothing slower holds the bind: the propagation monitor's
        // first poll runs on the thread pool (a BackgroundService's ExecuteAsync), and the per-cutover summaries are
        // made by each cutover's first traffic, so 500 idle cutovers build little more than their routes and series.
        app.Services.GetRequiredService<PhaseController>();
        app.Services.GetRequiredService<RouteTableProvider>();
        app.Services.GetRequiredService<StateStores>();
        app.Services.GetRequiredService<DrainDetector>();
        app.Lifetime.ApplicationStarted.Register(listeners.OnStarted);

        app.Use((context, next) => ListenerEndpoints.RoleOf(context) == ListenerRole.Admin ? OffTheIoThreadAsync(context, next) : proxy.InvokeAsync(context));

        // Explicit, so routing runs on the admin branch only and costs the proxy path nothing.
        app.UseAdminAuthentication();
        app.UseRouting();
        app.MapAdminEndpoints();
        return app;
    }

    // Admin endpoints read SQLite and run preflight checks synchronously in places: never on an epoll thread
    // (SocketTuning), where a slow read would stall every proxied connection served by that thread.
    private static async Task OffTheIoThreadAsync(HttpContext context, RequestDelegate next)
    {
        await Task.Yield();
        await next(context);
    }

    private static LogBufferMonitor AddLogging(WebApplicationBuilder builder, ServeSettings settings)
    {
        var buffer = new LogBufferMonitor();
        var logger = new LoggerConfiguration()
            .MinimumLevel.Is(settings.LogLevel)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", settings.LogLevel > LogEventLevel.Information ? settings.LogLevel : LogEventLevel.Information)
            .MinimumLevel.Override("Yarp", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        if (settings.WriteToConsole)
        {
            ITextFormatter formatter = settings.LogFormat == LogFormat.Text
                ? new TextLogFormatter()
                : new CompactJsonFormatter();
            var stdout = new LogBuffer(new StdoutSink(formatter), settings.Config.Logging.BufferEvents);
            buffer.Watch(stdout);
            logger.WriteTo.Sink(stdout);
        }

        settings.ConfigureLogging?.Invoke(logger);

        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger.CreateLogger(), dispose: true);

        // With any logger enabled for this category ASP.NET Core builds an Activity and a logging scope per request
        // (and YARP then forwards a traceparent header). The rule must name Serilog's provider: AddSerilog adds a
        // provider-specific rule (Trace, every category) that would otherwise win over a general one.
        builder.Logging.AddFilter<Serilog.Extensions.Logging.SerilogLoggerProvider>("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        return buffer;
    }
}
