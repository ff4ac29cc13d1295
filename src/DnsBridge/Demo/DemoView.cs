using System.Globalization;
using DnsBridge.Drain;
using DnsBridge.Events;
using DnsBridge.Propagation;
using DnsBridge.Residual;
using DnsBridge.State;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace DnsBridge.Demo;

/// <summary>What the demo shows while it runs: a live terminal view, or progress lines when output is not a terminal.</summary>
public sealed class DemoView(IServiceProvider services, DemoScenario scenario, DemoClients clients, System.Collections.Concurrent.ConcurrentQueue<string> alerts)
{
    private readonly DrainDetector _drain = services.GetRequiredService<DrainDetector>();
    private readonly IPropagationView _propagation = services.GetRequiredService<IPropagationView>();
    private readonly ResidualAccounting _residual = services.GetRequiredService<ResidualAccounting>();
    private readonly IEventStore _events = services.GetRequiredService<IEventStore>();
    private long _lastSource;
    private DateTimeOffset _lastAt = DateTimeOffset.UtcNow;
    private double _rate;

    private DrainState State => _drain.Status("shop")?.State ?? DrainState.Pending;

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
        while (State != DrainState.Drained && DateTimeOffset.UtcNow < deadline && !ct.IsCancellationRequested)
        {
            Sample();
            var snapshot = _propagation.Latest("shop");
            var line = string.Create(CultureInfo.InvariantCulture,
                $"[{scenario.Elapsed:mm\\:ss}] state={State.Label()} propagation={(snapshot?.Ratio ?? 0):P0} eta={snapshot?.EtaSeconds ?? 0:0}s residual={_rate:0.0} req/s total={Residual()}");
            if (line[8..] != last)
            {
                await output.WriteLineAsync(line);
                last = line[8..];
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        }

        await output.WriteLineAsync($"[{scenario.Elapsed:mm\\:ss}] state={State.Label()}");
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
        var header = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"[bold]{DemoScenario.Host}[/]  elapsed [bold]{scenario.Elapsed:mm\\:ss}[/]  drain state [bold {color}]{state.Label()}[/]  "
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

        var traffic = new Markup(string.Create(CultureInfo.InvariantCulture,
            $"residual traffic at the source: [bold]{_rate:0.0} req/s[/] (total {Residual()}), clients straight to the target: {clients.ToTarget}"));
        var events = new Rows(_events.Events("shop", 6).Select(e => new Markup($"[grey]{e.At:HH:mm:ss}[/] {Markup.Escape(e.Text)}")).Cast<IRenderable>()
            .DefaultIfEmpty(new Markup("[grey]no event yet[/]")));
        return new Rows(header, bar, traffic, table, new Markup($"[bold]events[/] (alerts delivered: {alerts.Count})"), events);
    }
}
