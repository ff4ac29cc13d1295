using System.IO.Pipelines;
using System.Text;
using DnsBridge.Connections;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace DnsBridge.UnitTests.Connections;

/// <summary>The relay in memory: two <see cref="MemoryRelayEnd"/>s stand for the client's and the target's sockets.</summary>
public sealed class ForwardedConnectionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private readonly MemoryRelayEnd _client = new();
    private readonly MemoryRelayEnd _target = new();
    private readonly CountingPool _pool = new();
    private readonly FakeTimeProvider _time = new();
    private readonly ConnectionMetrics.CutoverSeries _metrics = new ConnectionMetrics(Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())).For("shop");
    private readonly ForwardedConnection _connection;

    public ForwardedConnectionTests() =>
        _connection = new ForwardedConnection(_client, _target, _metrics.ToTarget, _metrics.ToClient, _time, _pool);

    [Fact]
    public async Task Bytes_flow_both_ways_and_are_counted_by_direction()
    {
        var run = _connection.RunAsync();

        await Send(_client.Peer, "GET / HTTP/1.1\r\n\r\n");
        Assert.Equal("GET / HTTP/1.1\r\n\r\n", await Receive(_target.Peer, 18));
        await Send(_target.Peer, "HTTP/1.1 204 No Content\r\n\r\n");
        Assert.Equal("HTTP/1.1 204 No Content\r\n\r\n", await Receive(_client.Peer, 27));

        Assert.Equal(18, _metrics.ToTarget.Value);
        Assert.Equal(27, _metrics.ToClient.Value);
        Assert.False(run.IsCompleted);
        _connection.Abort();
        await run.WaitAsync(Bound);
    }

    [Fact]
    public async Task A_client_FIN_reaches_the_target_while_the_target_still_answers()
    {
        var run = _connection.RunAsync();

        await Send(_client.Peer, "last request");
        await _client.Peer.Output.CompleteAsync();

        Assert.Equal("last request", await ReceiveToEnd(_target.Peer));
        Assert.True(await WaitFor(() => _connection.HalfClosed));
        await Send(_target.Peer, "late answer");
        Assert.Equal("late answer", await Receive(_client.Peer, 11));
        Assert.False(run.IsCompleted);

        await _target.Peer.Output.CompleteAsync();
        await run.WaitAsync(Bound);
        Assert.True(_client.Disposed && _target.Disposed);
    }

    [Fact]
    public async Task Abort_from_the_idle_sweep_ends_both_sides()
    {
        var run = _connection.RunAsync();
        await Send(_client.Peer, "x");
        await Receive(_target.Peer, 1);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.FromMinutes(5), _connection.Idle);
        _connection.Abort();

        await run.WaitAsync(Bound);
        Assert.True(_client.Disposed && _target.Disposed);
        Assert.True((await _client.Peer.Input.ReadAsync()).IsCompleted);
        Assert.True((await _target.Peer.Input.ReadAsync()).IsCompleted);
    }

    [Fact]
    public async Task Every_copy_buffer_goes_back_to_the_pool_exactly_once()
    {
        var run = _connection.RunAsync();
        for (var i = 0; i < 3; i++)
        {
            await Send(_client.Peer, "ping");
            await Receive(_target.Peer, 4);
            await Send(_target.Peer, "pong");
            await Receive(_client.Peer, 4);
        }

        // One direction ends with a FIN, the other with an abort while it holds no buffer.
        await _client.Peer.Output.CompleteAsync();
        _connection.Abort();
        await run.WaitAsync(Bound);

        Assert.True(_pool.Rented >= 6);
        Assert.Equal(0, _pool.Outstanding);
        Assert.Equal(0, _pool.WrongReturns);
    }

    [Fact]
    public async Task Bytes_reset_the_idle_time()
    {
        var run = _connection.RunAsync();
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(30), _connection.Idle);

        await Send(_client.Peer, "x");
        await Receive(_target.Peer, 1);

        Assert.Equal(TimeSpan.Zero, _connection.Idle);
        _connection.Abort();
        await run.WaitAsync(Bound);
    }

    private static async Task Send(IDuplexPipe peer, string text) => await peer.Output.WriteAsync(Encoding.ASCII.GetBytes(text));

    private static async Task<string> Receive(IDuplexPipe peer, int count)
    {
        var result = await peer.Input.ReadAtLeastAsync(count).AsTask().WaitAsync(Bound);
        var text = Encoding.ASCII.GetString(result.Buffer.Slice(0, count));
        peer.Input.AdvanceTo(result.Buffer.GetPosition(count));
        return text;
    }

    private static async Task<string> ReceiveToEnd(IDuplexPipe peer)
    {
        var result = await peer.Input.ReadAtLeastAsync(int.MaxValue).AsTask().WaitAsync(Bound);
        Assert.True(result.IsCompleted);
        var text = Encoding.ASCII.GetString(result.Buffer);
        peer.Input.AdvanceTo(result.Buffer.End);
        return text;
    }

    private static async Task<bool> WaitFor(Func<bool> condition)
    {
        for (var i = 0; i < 1000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        return condition();
    }
}
