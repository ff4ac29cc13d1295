using System.Net;
using System.Net.Sockets;
using DnsBridge.Configuration;
using DnsBridge.Demo;
using DnsBridge.Propagation;
using DnsBridge.Propagation.Wire;
using DnsClient;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// Plain DNS keeps a socket that got its answer for the next question to the same server (fewer system calls with a
/// wave of cutovers), but still changes the source port often, and never asks again from a socket that timed out.
/// What the server sees is recorded: the source port of every question.
/// </summary>
public sealed class UdpSocketReuseTests : IAsyncDisposable
{
    private readonly UdpClient _server = new(new IPEndPoint(IPAddress.Loopback, 0));
    // Only builds the answers (its own listener stays unused).
    private readonly DemoDnsServer _answers = new(IPAddress.Loopback, _ => ([IPAddress.Parse("203.0.113.9")], 60));
    private readonly List<int> _ports = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _ignoreNext;

    public UdpSocketReuseTests() => _loop = Task.Run(ServeAsync);

    private ResolverQuestion Question => new(ResolverAddress.Plain((IPEndPoint)_server.Client.LocalEndPoint!));

    [Fact]
    public async Task A_socket_carries_at_most_64_questions_so_the_source_port_keeps_changing()
    {
        await using var querier = new DnsQuerier();
        for (var i = 0; i < 150; i++)
        {
            var observation = await querier.AskAsync(Question, $"n{i}.example.test", QueryType.A, recursion: true, TimeSpan.FromSeconds(2), CancellationToken.None);
            Assert.Equal(["203.0.113.9"], observation.Addresses);
        }

        var perPort = Ports().GroupBy(p => p).Select(g => g.Count()).ToList();
        Assert.Equal(150, perPort.Sum());
        Assert.True(perPort.Count >= 3, $"150 questions from {perPort.Count} source ports");
        Assert.All(perPort, n => Assert.InRange(n, 1, UdpExchange.MaxUses));
    }

    [Fact]
    public async Task A_socket_whose_question_timed_out_is_never_asked_from_again()
    {
        await using var querier = new DnsQuerier();
        var first = await querier.AskAsync(Question, "a.example.test", QueryType.A, recursion: true, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.Equal(["203.0.113.9"], first.Addresses);

        // The server drops the next question: the retry is answered, from another port than the one that timed out.
        Interlocked.Exchange(ref _ignoreNext, 1);
        var retried = await querier.AskAsync(Question, "b.example.test", QueryType.A, recursion: true, TimeSpan.FromSeconds(1), CancellationToken.None);
        Assert.Equal(["203.0.113.9"], retried.Addresses);
        var afterwards = await querier.AskAsync(Question, "c.example.test", QueryType.A, recursion: true, TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.Equal(["203.0.113.9"], afterwards.Addresses);

        var ports = Ports();
        Assert.Equal(4, ports.Count);
        var timedOut = ports[1];
        Assert.Equal(ports[0], timedOut);
        Assert.DoesNotContain(timedOut, ports.Skip(2));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _server.Dispose();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        await _answers.DisposeAsync();
        _stop.Dispose();
    }

    private List<int> Ports()
    {
        lock (_ports)
        {
            return [.. _ports];
        }
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            UdpReceiveResult query;
            try
            {
                query = await _server.ReceiveAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            lock (_ports)
            {
                _ports.Add(query.RemoteEndPoint.Port);
            }

            if (Interlocked.Exchange(ref _ignoreNext, 0) == 1 || _answers.Respond(query.Buffer) is not { } response)
            {
                continue;
            }

            await _server.SendAsync(response, query.RemoteEndPoint, _stop.Token);
        }
    }
}
