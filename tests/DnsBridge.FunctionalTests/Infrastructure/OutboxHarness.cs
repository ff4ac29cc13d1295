using DnsBridge.Alerts;
using DnsBridge.Configuration;
using DnsBridge.Events;
using DnsBridge.State;
using Microsoft.Extensions.Logging.Abstractions;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real state store in a temporary directory and a webhook dispatcher for the given receivers, with one
/// <c>drain_complete</c> event (id <c>e1</c>) put in the outbox: the start of every dispatcher test.
/// </summary>
public sealed class OutboxHarness : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dnsbridge-outbox").FullName;

    public OutboxHarness(params string[] receivers)
    {
        var config = new DnsBridgeConfig
        {
            Alerts = new AlertsConfig { Webhooks = [.. receivers.Select(r => new WebhookConfig { Url = r })] },
            State = new StateConfig { Path = Path.Combine(_dir, "state.db") },
        };
        Stores = StateStores.Open(config.State, NullLoggerFactory.Instance);
        Dispatcher = new WebhookDispatcher(Stores.Events, Stores.Database, () => config, Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry()),
            TimeProvider.System, NullLogger<WebhookDispatcher>.Instance);
        var e = new CutoverEvent("e1", "shop", EventNames.DrainComplete, DateTimeOffset.UtcNow, "shop: drained");
        Assert.True(Stores.Events.Append(e, new DrainStatus { Since = e.At }, receivers, e.At));
    }

    public StateStores Stores { get; }

    public WebhookDispatcher Dispatcher { get; }

    public void Dispose()
    {
        Dispatcher.Dispose();
        Stores.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
