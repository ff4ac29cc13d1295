using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Demo;

/// <summary>
/// Simulated users of the migrated site. Each asks its own resolver, then sends requests to whatever address it
/// got: the source (where DnsBridge forwards) or the target directly. Most re-resolve every few requests; a few
/// keep one keep-alive connection for ever and never ask DNS again (the JVM-cache client every migration meets),
/// until DnsBridge's nudge closes their connection. A load balancer health check hits /healthz on the source
/// all along and is excluded from residual traffic.
/// </summary>
internal sealed class DemoClients : IAsyncDisposable
{
    private readonly DemoScenario _scenario;
    private readonly IPEndPoint _source;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private long _toSource;
    private long _toTarget;
    private long _failures;
    private int _disposed;

    public DemoClients(DemoScenario scenario, IPEndPoint source, IPEndPoint target, int clients = 24, int sticky = 3)
    {
        _scenario = scenario;
        _source = source;
        _target = target;
        for (var i = 0; i < clients; i++)
        {
            var resolver = scenario.Resolvers[i % scenario.Resolvers.Count];
            var isSticky = i < sticky;
            _loops.Add(Task.Run(() => ClientLoopAsync(resolver, isSticky, i)));
        }

        _loops.Add(Task.Run(HealthCheckLoopAsync));
    }

    public long ToSource => Interlocked.Read(ref _toSource);

    public long ToTarget => Interlocked.Read(ref _toTarget);

    public long Failures => Interlocked.Read(ref _failures);

    private static HttpClient CreateClient(Func<IPEndPoint> dial) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
        ConnectCallback = async (_, ct) =>
        {
            var endpoint = dial();
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endpoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { Timeout = TimeSpan.FromSeconds(10) };

    private async Task ClientLoopAsync(DemoResolver resolver, bool sticky, int seed)
    {
        var random = new Random(seed);

        // Ordinary clients ask DNS before every request and use a connection to whatever it said. A sticky client
        // asks only when it opens a connection; as long as that connection is kept alive it never asks again.
        IPEndPoint? stickyEndpoint = null;
        using var toSource = CreateClient(() => _source);
        using var toTarget = CreateClient(() => _target);
        using var stickyClient = CreateClient(() => stickyEndpoint = Resolve(resolver));
        while (!_stop.IsCancellationRequested)
        {
            var client = sticky ? stickyClient : Resolve(resolver).Equals(_source) ? toSource : toTarget;
            try
            {
                using var response = await client.GetAsync(random.Next(3) == 0
                    ? $"http://{DemoScenario.Host}{DemoScenario.DifferingPath}"
                    : $"http://{DemoScenario.Host}/products/{random.Next(100)}", _stop.Token);
                var wentToSource = sticky ? _source.Equals(stickyEndpoint) : ReferenceEquals(client, toSource);
                Interlocked.Increment(ref wentToSource ? ref _toSource : ref _toTarget);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref _failures);
            }

            await Delay(random.Next(300, 900));
        }
    }

    private IPEndPoint Resolve(DemoResolver resolver)
    {
        var answer = _scenario.Cached(resolver, DemoScenario.Host);
        return answer is { } a && a.Addresses[0].Equals(_scenario.Target) ? _target : _source;
    }

    private async Task HealthCheckLoopAsync()
    {
        using var client = CreateClient(() => _source);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("ELB-HealthChecker/2.0");
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await client.GetAsync($"http://{DemoScenario.Host}/healthz", _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpRequestException)
            {
            }

            await Delay(1000);
        }
    }

    private async Task Delay(int milliseconds)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(milliseconds / _scenario.Speed), _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
