using DnsBridge.Alerts;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.State;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real state store in a temporary directory and a webhook dispatcher for the given receivers (each by name and
/// URL), with one <c>drain_complete</c> event (id <c>e1</c>) put in the outbox: the start of every dispatcher test.
/// The config can be replaced as a reload would; the outbox gauges are registered on the harness's own registry.
/// </summary>
internal sealed class OutboxHarness : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-outbox").FullName;
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();

    public OutboxHarness(params (string Name, string Url)[] receivers)
        : this(TimeProvider.System, null, receivers)
    {
    }

    public OutboxHarness(TimeProvider time, TimeSpan? giveUpAfter, params (string Name, string Url)[] receivers)
    {
        ArgumentNullException.ThrowIfNull(time);
        Config = new DnsBridgeConfig
        {
            Alerts = new AlertsConfig { GiveUpAfter = giveUpAfter, Webhooks = [.. receivers.Select(r => new WebhookConfig { Name = r.Name, Url = r.Url })] },
            State = new StateConfig { Path = Path.Combine(_dir, "state.db") },
        };
        Stores = StateStores.Open(Config.State, NullLoggerFactory.Instance);
        var metrics = Metrics.WithCustomRegistry(_registry);
        OutboxGauges.Register(Stores.Events, metrics, _registry, time);
        Dispatcher = new OutboxDispatcher(Stores.Events, Stores.Database, () => Config, metrics, time, NullLogger<OutboxDispatcher>.Instance);
        Event = new CutoverEvent("e1", "shop", EventNames.DrainComplete, time.GetUtcNow(), "shop: drained");
        Assert.True(Stores.Events.Append(Event, new DrainStatus { Since = Event.At }, receivers.Select(r => r.Name), Event.At));
    }

    /// <summary>The running config: replace it to edit a webhook as a config reload would.</summary>
    public DnsBridgeConfig Config { get; set; }

    public CutoverEvent Event { get; }

    public StateStores Stores { get; }

    public OutboxDispatcher Dispatcher { get; }

    /// <summary>A series' value as a scrape of this harness's registry reads it (collect callbacks run).</summary>
    public async Task<double> MetricAsync(string name, params (string Label, string Value)[] labels)
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text);
        return MetricsText.Value(System.Text.Encoding.UTF8.GetString(text.ToArray()), name, labels);
    }

    public void Dispose()
    {
        Dispatcher.Dispose();
        Stores.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
