using System.Globalization;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Mirror;
using DnsBridge.Propagation;
using DnsBridge.Residual;
using DnsBridge.State;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DnsBridge.Demo;

/// <summary>What the demo shows while it runs: a live terminal view, or progress lines when output is not a terminal.</summary>
internal sealed class DemoView(IServiceProvider services, DemoScenario scenario, DemoClients clients, System.Collections.Concurrent.ConcurrentQueue<string> alerts)
{
    private readonly DrainDetector _drain = services.GetRequiredService<DrainDetector>();
    private readonly IPropagationView _propagation = services.GetRequiredService<IPropagationView>();
    private readonly ResidualAccounting _residual = services.GetRequiredService<ResidualAccounting>();
    private readonly IEventStore _events = services.GetRequiredService<IEventStore>();
    private readonly ICutoverPhases _phases = services.GetRequiredService<ICutoverPhases>();
    private readonly ClusterMirror _mirrors = services.GetRequiredService<ClusterMirror>();
    private long _lastSource;
    private DateTimeOffset _lastAt = DateTimeOffset.UtcNow;
    private double _rate;

    private DrainState State => _drain.Status("shop")?.State ?? DrainState.Pending;

    private CutoverPhase Phase => _phases.PhaseOf("shop");

    /// <summary>Why the demo's operator could not freeze the cutover (null: it did, or has not tried yet).</summary>
    public string? OperatorProblem { get; set; }

    /// <summary>The mirrored comparison so far: copies compared, and the path groups where the target answered differently.</summary>
    private (long Copies, IReadOnlyList<string> Differing) Readiness()
    {
        if (_mirrors.Report("shop") is not { } report)
        {
            return (0, []);
        }

        return (report.Copies, [.. report.Groups.Where(g => g.BodyMismatches > 0 || g.TargetErrors > 0 || g.StatusMatchRatio is < 1).Select(g => g.Group)]);
    }

    /// <summary>The path groups where the mirrored target answered differently so far.</summary>
    public IReadOnlyList<string> DifferingPathGroups() => Readiness().Differing;

    private string ReadinessText()
    {
        var (copies, differing) = Readiness();
        return string.Create(CultureInfo.InvariantCulture, $"mirrored={copies} differing={(differing.Count == 0 ? "none" : string.Join(",", differing))}");
    }

    private void Sample()
    {
        var now = DateTimeOffset.UtcNow;
        var source = clients.ToSource;
        var seconds = (now - _lastAt).TotalSeconds;
        if (seconds >= 1)
        {
            _rate = (source - _lastSource) / seconds;
            _lastSource = source;
            _lastAt = now;
        }
    }

    public async Task<bool> RunPlainAsync(TextWriter output, DateTimeOffset deadline, CancellationToken ct)
    {
        var last = "";
        CutoverPhase? lastPhase = null;
        var nextLine = DateTimeOffset.MinValue;
        while (State != DrainState.Drained && DateTimeOffset.UtcNow < deadline && !ct.IsCancellationRequested)
        {
            // A line every 500 ms, and at once when the phase changes (a short freeze is not missed between two lines).
            var phase = Phase;
            if (phase != lastPhase || DateTimeOffset.UtcNow >= nextLine)
            {
                lastPhase = phase;
                nextLine = DateTimeOffset.UtcNow.AddMilliseconds(500);
                Sample();
                var snapshot = _propagation.Latest("shop");
                var line = string.Create(CultureInfo.InvariantCulture,
                    $"[{scenario.Elapsed:mm\\:ss}] phase={phase.Label()} state={State.Label()} propagation={(snapshot?.Ratio ?? 0):P0} eta={snapshot?.EtaSeconds ?? 0:0}s residual={_rate:0.0} req/s total={Residual()} {ReadinessText()}");
                if (line[8..] != last)
                {
                    await output.WriteLineAsync(line);
                    last = line[8..];
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), ct);
        }

        await output.WriteLineAsync($"[{scenario.Elapsed:mm\\:ss}] phase={Phase.Label()} state={State.Label()} {ReadinessText()}");
        return State == DrainState.Drained;
    }

    public async Task<bool> RunLiveAsync(DateTimeOffset deadline, CancellationToken ct)
    {
        await AnsiConsole.Live(Render()).AutoClear(false).StartAsync(async live =>
        {
            while (State != DrainState.Drained && DateTimeOffset.UtcNow < deadline && !ct.IsCancellationRequested)
            {
                Sample();
                live.UpdateTarget(Render());
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }

            live.UpdateTarget(Render());
        });
        return State == DrainState.Drained;
    }

    private long Residual() => _residual.TryGet("shop", out var c) ? c.Residual : 0;

    private Rows Render()
    {
        var snapshot = _propagation.Latest("shop");
        var state = State;
        var color = state switch
        {
            DrainState.Drained => "green",
            DrainState.Quiet => "teal",
            DrainState.Draining => "yellow",
            _ => "orange1",
        };
        var phase = Phase;
        var phaseColor = phase switch
        {
            CutoverPhase.Rehearsal => "blue",
            CutoverPhase.Frozen => "aqua",
            CutoverPhase.Switched => "green",
            _ => "red",
        };
        var header = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]{DemoScenario.Host}[/]  elapsed [bold]{scenario.Elapsed:mm\\:ss}[/]  phase [bold {phaseColor}]{phase.Label()}[/]  drain state [bold {color}]{state.Label()}[/]  "
            + $"propagation [bold]{(snapshot?.Ratio ?? 0):P0}[/]  stale caches expire in [bold]{snapshot?.EtaSeconds ?? 0:0} s[/]"));
        var bar = new BreakdownChart().Width(60)
            .AddItem("target", snapshot?.Resolvers.Count(r => !r.Resolver.Authoritative && r.Answer == ResolverAnswer.Target) ?? 0, Color.Green)
            .AddItem("source", snapshot?.Resolvers.Count(r => !r.Resolver.Authoritative && r.Answer == ResolverAnswer.Source) ?? 0, Color.Orange1)
            .AddItem("error", snapshot?.Resolvers.Count(r => r.Answer == ResolverAnswer.Error) ?? 0, Color.Red);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("resolver", "region", "answer", "TTL");
        foreach (var r in snapshot?.Resolvers ?? [])
        {
            var answer = PropagationMetrics.Label(r.Answer);
            table.AddRow(Markup.Escape(r.Resolver.Name), Markup.Escape(r.Resolver.Region),
                $"[{(r.Answer == ResolverAnswer.Target ? "green" : r.Answer == ResolverAnswer.Source ? "orange1" : "red")}]{answer}[/]",
                r.Ttl?.ToString(CultureInfo.InvariantCulture) ?? "");
        }

        var (copies, differing) = Readiness();
        var readiness = new Markup(string.Create(CultureInfo.InvariantCulture, $"target readiness (mirrored rehearsal traffic): [bold]{copies}[/] copies compared, differing path groups: ")
            + (differing.Count == 0 ? "[green]none[/]" : $"[orange1]{Markup.Escape(string.Join(", ", differing))}[/]")
            + (OperatorProblem is { } problem ? $"  [red]freeze: {Markup.Escape(problem)}[/]" : ""));
        var traffic = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"residual traffic at the source: [bold]{_rate:0.0} req/s[/] (total {Residual()}), clients straight to the target: {clients.ToTarget}"));
        var events = new Rows(_events.Events("shop", 6).Select(e => new Markup($"[grey]{e.At:HH:mm:ss}[/] {Markup.Escape(e.Text)}")).Cast<IRenderable>()
            .DefaultIfEmpty(new Markup("[grey]no event yet[/]")));
        return new Rows(header, readiness, bar, traffic, table, new Markup($"[bold]events[/] (alerts delivered: {alerts.Count})"), events);
    }
}
