using System.CommandLine;
using System.Globalization;
using System.Net;
using DnsBridge.Admin;
using DnsBridge.Cli;
using DnsBridge.Configuration;
using DnsBridge.Hosting;
using DnsBridge.Listeners;
using Spectre.Console;

namespace DnsBridge.Demo;

/// <summary>
/// <c>dnsbridge demo</c>: a whole cutover on loopback, no config, no internet. A real source app and target app
/// (alike but for one path), DNS servers that flip from the source to the target on a compressed schedule, clients
/// whose traffic decays (a few of them sticky, until nudged), a webhook receiver, and DnsBridge's real forwarder,
/// mirror, phase controller, monitor, drain detector, store and outbox doing their normal work: rehearsal with half of
/// the requests mirrored and compared, a freeze asked through the phase controller as the API asks it, the switch
/// made automatically at the DNS flip (<c>Switch.Auto: dns</c>), propagation and drain, until the cutover is drained.
/// </summary>
internal static class DemoCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var speed = new Option<double>("--speed") { Description = "Time compression: 2 runs the scenario twice as fast (default 1: drained in about 85 s).", DefaultValueFactory = _ => 1 };
        var proxyPort = new Option<int>("--proxy-port") { Description = "Port of the proxy listener on 127.0.0.1 (default 0: any free port).", DefaultValueFactory = _ => 0 };
        var adminPort = new Option<int>("--admin-port") { Description = "Port of the admin listener on 127.0.0.1: status page and /metrics (default 8081; 0: any free port).", DefaultValueFactory = _ => 8081 };
        var noLive = new Option<bool>("--no-live") { Description = "Print progress lines instead of the live terminal view (automatic when output is redirected)." };
        var command = new Command("demo", "A whole cutover simulated on loopback; shows the real components at work and prints the admin URL while it runs.")
        {
            speed, proxyPort, adminPort, noLive,
        };
        // Only options given on the command line are checked: inside a validator, System.CommandLine reads an option
        // left out as 0, not as its default, and the README's `dnsbridge demo` must run as it is.
        command.Validators.Add(r =>
        {
            if (r.GetResult(speed) is { Implicit: false } && r.GetValue(speed) is < 0.25 or > 20)
            {
                r.AddError("--speed must be between 0.25 and 20");
            }

            foreach (var port in new[] { proxyPort, adminPort }.Where(p => r.GetResult(p) is { Implicit: false }).Select(p => r.GetValue(p)))
            {
                if (port is < 0 or > 65535)
                {
                    r.AddError("--proxy-port and --admin-port must be 0-65535");
                }
            }
        });
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(speed), parse.GetValue(proxyPort), parse.GetValue(adminPort),
            parse.GetValue(noLive) || Console.IsOutputRedirected || stdout != Console.Out, stdout, stderr, ct));
        return command;
    }

    public static async Task<int> RunAsync(double speed, int proxyPort, int adminPort, bool plain, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var time = TimeProvider.System;
        var directory = Directory.CreateTempSubdirectory("dnsbridge-demo").FullName;
        var sourceIp = IPAddress.Loopback;
        var targetIp = IPAddress.Parse("127.0.0.2");
        var scenario = new DemoScenario(time, speed, sourceIp, targetIp);
        var alerts = new System.Collections.Concurrent.ConcurrentQueue<string>();

        await using var sourceApp = await DemoHttp.StartAsync(sourceIp, app => DemoHttp.MapShop(app, "source"));
        await using var target = await DemoHttp.StartAsync(targetIp, app => DemoHttp.MapShop(app, "target"));
        await using var receiver = await DemoHttp.StartAsync(IPAddress.Loopback, app => app.MapPost("/alerts", async (HttpContext c) =>
        {
            using var body = await System.Text.Json.JsonDocument.ParseAsync(c.Request.Body);
            alerts.Enqueue(body.RootElement.GetProperty("text").GetString() ?? "");
            return Results.Ok();
        }));
        await using var authoritative = new DemoDnsServer(IPAddress.Loopback, scenario.Authoritative);
        var resolvers = scenario.Resolvers.Select(r => (Resolver: r, Server: new DemoDnsServer(IPAddress.Loopback, name => scenario.Cached(r, name)))).ToList();
        try
        {
            var raw = new DnsBridgeConfig
            {
                Listen = new ListenConfig { Proxy = $"http://127.0.0.1:{proxyPort}", Admin = $"http://127.0.0.1:{adminPort}" },
                Cutovers =
                [
                    new CutoverConfig
                    {
                        Name = "shop",
                        Hosts = [DemoScenario.Host],
                        Target = new TargetConfig { Address = targetIp.ToString(), Port = target.Port, Scheme = "http", Timeout = TimeSpan.FromSeconds(10) },
                        SourceAddresses = [sourceIp.ToString()],
                        SourceBackend = new SourceBackendConfig { Address = sourceIp.ToString(), Port = sourceApp.Port, Scheme = "http" },
                        Mirror = new MirrorConfig { Share = 0.5 },
                        Switch = new SwitchConfig { Auto = SwitchConfig.AutoDns },
                        Drain = new DrainConfig
                        {
                            QuietPeriod = scenario.Scaled(20),
                            Exclude = new ExcludeConfig { Paths = ["/healthz"], UserAgents = ["ELB-HealthChecker*"] },
                        },
                    },
                ],
                Resolvers = new ResolversConfig
                {
                    Preset = ResolversConfig.PresetNone,
                    Authoritative = true,
                    AuthoritativeServers = [authoritative.EndPoint.ToString()],
                    Custom = [.. resolvers.Select(r => new CustomResolverConfig
                    {
                        Name = r.Resolver.Name,
                        Address = r.Server.EndPoint.ToString(),
                        Region = r.Resolver.Region,
                        City = r.Resolver.Location.City,
                        Latitude = r.Resolver.Location.Latitude,
                        Longitude = r.Resolver.Location.Longitude,
                    })],
                },
                Propagation = new PropagationConfig { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromMilliseconds(500) },
                Alerts = new AlertsConfig { Webhooks = [new WebhookConfig { Url = $"http://127.0.0.1:{receiver.Port}/alerts" }] },
                State = new StateConfig { Path = Path.Combine(directory, "demo.db") },
                Logging = new LoggingConfig { AccessLog = false },
            };
            var (config, errors) = ConfigValidator.Validate(raw, directory);
            if (errors.Count > 0)
            {
                await DnsBridgeCommand.PrintErrorsAsync(stderr, "demo", errors);
                return ExitCodes.Usage;
            }

            await using var app = DnsBridgeApplication.Build(new ServeSettings
            {
                Config = config,
                Source = new ConfigSource(null),
                LogFormat = LogFormat.Text,
                LogLevel = Serilog.Events.LogEventLevel.Error,
            });
            try
            {
                await app.StartAsync(ct);
            }
            catch (IOException e)
            {
                await stderr.WriteLineAsync($"error: cannot listen ({e.Message}); try --admin-port 0 or another port");
                return ExitCodes.Failed;
            }

            var ports = app.Services.GetRequiredService<ListenerEndpoints>();
            var admin = $"http://{ports.AdminEndPoint}/";
            await stdout.WriteLineAsync($"DnsBridge demo: cutover of {DemoScenario.Host} from the source {sourceIp} to the target {targetIp} (speed x{speed.ToString(CultureInfo.InvariantCulture)})");
            await stdout.WriteLineAsync($"  status page: {admin}   metrics: {admin}metrics   API: {admin}api/cutovers/shop");
            await stdout.WriteLineAsync($"  proxy: {ports.ProxyEndPoint}   source app: {sourceIp}:{sourceApp.Port}   target: {targetIp}:{target.Port}   {scenario.Resolvers.Count} resolvers + 1 authoritative server on 127.0.0.1");
            await stdout.WriteLineAsync($"  readiness: {admin}api/cutovers/shop/readiness   phases: rehearsal (half mirrored) -> frozen -> switched at the DNS flip (Switch.Auto: dns)");

            // Warm the way a request takes (forwarder, mirror, both apps) so that the rehearsal's few seconds are not spent
            // compiling code, then start the timeline.
            using (var warm = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) })
            {
                foreach (var path in new[] { "/products/0", DemoScenario.DifferingPath, "/products/1", DemoScenario.DifferingPath })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{ports.ProxyEndPoint}{path}");
                    request.Headers.Host = DemoScenario.Host;
                    try
                    {
                        using var response = await warm.SendAsync(request, ct);
                    }
                    catch (HttpRequestException)
                    {
                    }
                }
            }

            scenario.Restart();
            await using var clients = new DemoClients(scenario, ports.ProxyEndPoint!, new IPEndPoint(targetIp, target.Port));
            var view = new DemoView(app.Services, scenario, clients, alerts);
            var deadline = time.GetUtcNow() + scenario.Scaled(300);
            using var stopOperator = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var freeze = FreezeAsync(app.Services.GetRequiredService<Phases.PhaseController>(), scenario, view, stopOperator.Token);
            var drained = plain
                ? await view.RunPlainAsync(stdout, deadline, ct)
                : await view.RunLiveAsync(deadline, ct);
            await stopOperator.CancelAsync();
            await freeze;
            await clients.DisposeAsync();

            // Let the outbox deliver the last alert before the report is printed (bounded).
            var events = app.Services.GetRequiredService<State.IEventStore>();
            for (var i = 0; i < 50 && events.PendingAlerts("shop").Any(p => !p.Failed); i++)
            {
                await Task.Delay(100, CancellationToken.None);
            }

            var reports = app.Services.GetRequiredService<CutoverReport>();
            await stdout.WriteLineAsync();
            await stdout.WriteLineAsync(CutoverReport.ToMarkdown(reports.Build("shop")!.Value, time.GetUtcNow()));
            await stdout.WriteLineAsync($"Alerts received by the demo webhook: {alerts.Count}");
            foreach (var alert in alerts)
            {
                await stdout.WriteLineAsync($"  - {alert}");
            }

            if (view.OperatorProblem is { } problem)
            {
                await stdout.WriteLineAsync($"Freeze: {problem}");
            }

            await stdout.WriteLineAsync($"Clients: {clients.ToSource} requests reached the source (and were forwarded), {clients.ToTarget} went to the target directly, {clients.Failures} failed.");
            await app.StopAsync(CancellationToken.None);
            if (!drained)
            {
                await stderr.WriteLineAsync("error: the demo cutover did not drain in time");
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        }
        finally
        {
            foreach (var (_, server) in resolvers)
            {
                await server.DisposeAsync();
            }

            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>
    /// The demo's operator: at <see cref="DemoScenario.FreezeAt"/>, or a little later if the rehearsal has not found the
    /// differing path yet (but before the DNS flip), it freezes the cutover through the phase controller, as
    /// <c>POST /api/cutovers/shop/phase</c> does (by <c>api</c>); the switch then comes from DNS, by <c>auto</c>.
    /// </summary>
    private static async Task FreezeAsync(Phases.PhaseController phases, DemoScenario scenario, DemoView view, CancellationToken ct)
    {
        try
        {
            var wait = scenario.FreezeAt - scenario.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            var latest = scenario.AuthoritativeSwitchAt - scenario.Scaled(1);
            while (view.DifferingPathGroups().Count == 0 && scenario.Elapsed < latest)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
            }

            var result = await phases.ChangeAsync("shop", Events.CutoverPhase.Frozen, Phases.PhaseRequesters.Api, force: false);
            if (result.Outcome != Phases.PhaseChangeOutcome.Changed)
            {
                view.OperatorProblem = result.Message;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }
}
