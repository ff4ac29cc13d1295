using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using DnsBridge.Configuration;
using DnsBridge.Propagation.Wire;
using DnsClient;

namespace DnsBridge.Propagation;

/// <summary>
/// Sends one question to exactly one server with DnsClient, with the settings a propagation monitor needs: no
/// cache (its key ignores the server, so it would report one resolver's answer as another's), one server per
/// call (several make it fail over silently), EDNS buffer 1232, TCP fallback on truncation, at most one retry.
/// Every failure, timeouts included (the library throws for those), becomes an error reason; nothing escapes.
/// The resolver rows (<see cref="AskAsync(ResolverQuestion, string, QueryType, bool, TimeSpan, SemaphoreSlim, CancellationToken)"/>)
/// go through <see cref="DnsWire"/> instead: DnsClient can send no EDNS option (NSID, client subnet) and has no DoT or DoH.
/// </summary>
internal sealed class DnsQuerier : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(IPEndPoint, bool, TimeSpan), LookupClient> _clients = new();
    private readonly ConcurrentDictionary<(string, string?), TlsExchange> _tls = new();
    private readonly ConcurrentDictionary<(string, string?, string?), HttpsExchange> _https = new();
    private readonly UdpExchange _udp = new();

    private LookupClient Client(IPEndPoint server, bool recursion, TimeSpan timeout) =>
        _clients.GetOrAdd((server, recursion, timeout), key => new LookupClient(new LookupClientOptions(new NameServer(key.Item1))
        {
            UseCache = false,
            Recursion = key.Item2,
            Timeout = key.Item3,
            Retries = 1,
            UseTcpFallback = true,
            ExtendedDnsBufferSize = 1232,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseRandomNameServer = false,
            EnableAuditTrail = false,
        }));

    /// <summary>The same question, waiting first for a slot of <paramref name="concurrency"/> (the questions in flight are bounded).</summary>
    public Task<DnsObservation> QueryAsync(IPEndPoint server, string name, QueryType type, bool recursion, TimeSpan timeout, SemaphoreSlim concurrency, CancellationToken cancellationToken) =>
        InSlotAsync(concurrency, () => QueryAsync(server, name, type, recursion, timeout, cancellationToken), cancellationToken);

    public async Task<DnsObservation> QueryAsync(IPEndPoint server, string name, QueryType type, bool recursion, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            using var bound = WholeCall(timeout, cancellationToken);
            var response = await Client(server, recursion, timeout).QueryAsync(name, type, QueryClass.IN, bound.Token);
            return DnsReply.From(response).Observe(name, type, watch.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return NoAnswerInTime(watch.Elapsed);
        }
        catch (DnsResponseException e) when (e.Code == DnsResponseCode.ConnectionTimeout)
        {
            return NoAnswerInTime(watch.Elapsed);
        }
        catch (DnsResponseException e) when (e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase))
        {
            return DnsObservation.Failed(DnsFailureReason.Truncated, e.Message, watch.Elapsed);
        }
        catch (DnsResponseException e)
        {
            return DnsObservation.Failed(DnsFailureReason.Malformed, e.Message, watch.Elapsed);
        }
        catch (SocketException e)
        {
            return DnsObservation.Failed(DnsFailureReason.Network, e.Message, watch.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Garbage bytes, wrong transaction ids and the like surface as assorted exceptions in this library.
            return DnsObservation.Failed(DnsFailureReason.Malformed, e.GetBaseException().Message, watch.Elapsed);
        }
    }

    /// <summary>One question of a resolver row, waiting first for a slot of <paramref name="concurrency"/>.</summary>
    public Task<DnsObservation> AskAsync(ResolverQuestion question, string name, QueryType type, bool recursion, TimeSpan timeout, SemaphoreSlim concurrency, CancellationToken cancellationToken) =>
        InSlotAsync(concurrency, () => AskAsync(question, name, type, recursion, timeout, cancellationToken), cancellationToken);

    /// <summary>
    /// One question over the resolver's transport, with NSID asked and the subnet sent when given. Plain DNS gets the
    /// per-try timeout twice (a retry) as before; DoT and DoH one attempt bounded the same, handshake included.
    /// </summary>
    public async Task<DnsObservation> AskAsync(ResolverQuestion question, string name, QueryType type, bool recursion, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var via = question.Via;
        var encrypted = via.Transport != ResolverAddress.Udp;

        // DoH asks for ID 0 (RFC 8484 §4.1: cache friendly); elsewhere a random ID is what ties answer to question.
        var id = via.Transport == ResolverAddress.Doh ? (ushort)0 : (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
        var query = DnsWire.EncodeQuery(id, name, (ushort)type, recursion, question.Subnet, padTo: encrypted ? 128 : 0);
        using var bound = WholeCall(timeout, cancellationToken);
        try
        {
            var response = DnsWire.Decode(await ExchangeAsync(question, query, timeout, bound.Token));
            if (response.Truncated && encrypted)
            {
                // Final over DoT/DoH: retrying over UDP would leak the question and change the vantage.
                return DnsObservation.Failed(DnsFailureReason.Truncated, "truncated answer over an encrypted transport", watch.Elapsed);
            }

            return DnsReply.From(response).Observe(name, type, watch.Elapsed) with { Pop = response.Edns?.NsidText, ClientSubnet = response.Edns?.ClientSubnet };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return NoAnswerInTime(watch.Elapsed);
        }
        catch (DnsTransportException e)
        {
            return DnsObservation.Failed(e.Reason, e.Message, watch.Elapsed);
        }
        catch (DnsWireException e)
        {
            return DnsObservation.Failed(DnsFailureReason.Malformed, e.Message, watch.Elapsed);
        }
        catch (Exception e) when (e is SocketException or IOException or HttpRequestException)
        {
            return DnsObservation.Failed(DnsFailureReason.Network, e.GetBaseException().Message, watch.Elapsed);
        }
    }

    /// <summary>
    /// The operator's identification question (<see cref="PopQuery"/>) over the row's transport, without a client
    /// subnet: the site that answered, or null when the answer names none or no usable answer came back.
    /// </summary>
    public Task<string?> IdentifyAsync(ResolverQuestion question, string popQuery, TimeSpan timeout, SemaphoreSlim concurrency, CancellationToken cancellationToken) =>
        InSlotAsync(concurrency, () => IdentifyAsync(question, popQuery, timeout, cancellationToken), cancellationToken);

    /// <summary>The same identification, the caller holding a slot of the concurrency (a paced question).</summary>
    public async Task<string?> IdentifyAsync(ResolverQuestion question, string popQuery, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (name, type, @class) = PopQuery.Question(popQuery);
        try
        {
            var texts = await TextsAsync(question with { Subnet = null }, name, type, @class, timeout, cancellationToken);
            var pop = PopQuery.Parse(popQuery, texts);
            if (popQuery == PopQuery.Google && PopQuery.GoogleEgress(texts) is { } egress)
            {
                // The same resolver serves Google's own list of egress ranges; the address alone is what is shown without it.
                var locations = await TextsAsync(question with { Subnet = null }, PopQuery.GoogleLocations, DnsWire.TypeTxt, DnsWire.ClassIn, timeout, cancellationToken);
                pop = PopQuery.GoogleSite(egress, locations) is { } site ? $"{site} ({egress})" : pop;
            }

            return pop;
        }
        catch (Exception e) when (e is DnsTransportException or DnsWireException or SocketException or IOException or HttpRequestException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The row's own question already tells whether the resolver is reachable; a missing PoP is just not shown.
            return null;
        }
    }

    /// <summary>The TXT texts answered to one question; none for any rcode but NOERROR or an answer to another question.</summary>
    private async Task<IReadOnlyList<string>> TextsAsync(ResolverQuestion question, string name, ushort type, ushort @class, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var encrypted = question.Via.Transport != ResolverAddress.Udp;
        var id = question.Via.Transport == ResolverAddress.Doh ? (ushort)0 : (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1);
        var query = DnsWire.EncodeQuery(id, name, type, recursion: true, padTo: encrypted ? 128 : 0, @class: @class);
        using var bound = WholeCall(timeout, cancellationToken);
        var response = DnsWire.Decode(await ExchangeAsync(question, query, timeout, bound.Token));
        return response.ResponseCode != 0 || !string.Equals(response.QuestionName, name, StringComparison.OrdinalIgnoreCase) ? []
            : [.. response.Answers.Where(r => r.Type == DnsWire.TypeTxt).Select(r => r.Data!)];
    }

    private async Task<byte[]> ExchangeAsync(ResolverQuestion question, byte[] query, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var via = question.Via;
        return via.Transport switch
        {
            ResolverAddress.Dot => await _tls.GetOrAdd((via.ToString(), question.CaFile), _ => new TlsExchange(via.EndPoint!, via.TlsName!, question.CaFile)).ExchangeAsync(query, cancellationToken),
            ResolverAddress.Doh => await _https.GetOrAdd((via.ToString() + "|" + via.EndPoint, question.HttpProxy, question.CaFile), _ => new HttpsExchange(via.Url!, via.EndPoint, question.HttpProxy, question.CaFile)).ExchangeAsync(query, cancellationToken),
            _ => await _udp.ExchangeAsync(via.EndPoint!, query, timeout, cancellationToken),
        };
    }

    /// <summary>Waits for a slot of <paramref name="concurrency"/> (the questions in flight are bounded) and holds it for the question.</summary>
    private static async Task<T> InSlotAsync<T>(SemaphoreSlim concurrency, Func<Task<T>> ask, CancellationToken cancellationToken)
    {
        await concurrency.WaitAsync(cancellationToken);
        try
        {
            return await ask();
        }
        finally
        {
            concurrency.Release();
        }
    }

    /// <summary>
    /// The one deadline of a whole question: the per-try timeout covers one try, this covers the call (a retry, the TCP
    /// fallback, a TLS handshake): two tries and a second to spare. Cancelled by it, the question fails as a timeout.
    /// </summary>
    private static CancellationTokenSource WholeCall(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter((timeout * 2) + TimeSpan.FromSeconds(1));
        return bound;
    }

    private static DnsObservation NoAnswerInTime(TimeSpan latency) => DnsObservation.Failed(DnsFailureReason.Timeout, "no answer in time", latency);

    public async ValueTask DisposeAsync()
    {
        _udp.Dispose();
        foreach (var tls in _tls.Values)
        {
            await tls.DisposeAsync();
        }

        foreach (var https in _https.Values)
        {
            https.Dispose();
        }
    }

    /// <summary>
    /// The whole response, for questions whose answer is in the authority section (a parent's referral) or whose owner
    /// name matters (the SOA that names the zone); null with a reason when nothing usable came back.
    /// </summary>
    public async Task<(IDnsQueryResponse? Response, string? Error)> RawAsync(IPEndPoint server, string name, QueryType type, bool recursion, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var bound = WholeCall(timeout, cancellationToken);
            var response = await Client(server, recursion, timeout).QueryAsync(name, type, QueryClass.IN, bound.Token);
            return response.Header.ResponseCode is DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain
                ? (response, null)
                : (null, response.Header.ResponseCode.ToString().ToUpperInvariant());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, DnsFailureReason.Timeout);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, e is DnsResponseException { Code: DnsResponseCode.ConnectionTimeout } ? DnsFailureReason.Timeout : e.GetBaseException().Message);
        }
    }

    /// <summary>
    /// The name servers of the zone that holds <paramref name="host"/>: walk up the labels asking for NS. Each question
    /// first awaits <paramref name="beforeQuestion"/> for its resolver (the monitor's pace: a wave finds the servers of
    /// hundreds of hosts at once).
    /// </summary>
    public async Task<IReadOnlyList<(string Name, IPEndPoint EndPoint)>> FindAuthoritativeAsync(string host, IReadOnlyList<IPEndPoint> recursive, TimeSpan timeout, CancellationToken cancellationToken,
        Func<IPEndPoint, CancellationToken, Task>? beforeQuestion = null)
    {
        var labels = host.Split('.');
        for (var i = 0; i < labels.Length - 1; i++)
        {
            var zone = string.Join('.', labels[i..]);
            foreach (var resolver in recursive.Take(3))
            {
                IDnsQueryResponse response;
                try
                {
                    if (beforeQuestion is not null)
                    {
                        await beforeQuestion(resolver, cancellationToken);
                    }

                    response = await Client(resolver, true, timeout).QueryAsync(zone, QueryType.NS, QueryClass.IN, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                var names = response.Answers.NsRecords().Select(n => n.NSDName.Value.TrimEnd('.')).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
                if (response.Header.ResponseCode != DnsHeaderResponseCode.NoError || names.Count == 0)
                {
                    continue;
                }

                var servers = new List<(string, IPEndPoint)>();
                foreach (var ns in names)
                {
                    var glue = response.Additionals.ARecords().Where(a => string.Equals(a.DomainName.Value.TrimEnd('.'), ns, StringComparison.OrdinalIgnoreCase)).Select(a => a.Address).ToList();
                    if (glue.Count == 0)
                    {
                        if (beforeQuestion is not null)
                        {
                            await beforeQuestion(resolver, cancellationToken);
                        }

                        var lookup = await QueryAsync(resolver, ns, QueryType.A, true, timeout, cancellationToken);
                        glue = [.. lookup.Addresses.Select(IPAddress.Parse)];
                    }

                    servers.AddRange(glue.Select(ip => (ns, new IPEndPoint(ip, 53))));
                }

                return servers;
            }
        }

        return [];
    }
}
