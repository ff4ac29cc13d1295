using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;

namespace DnsBridge.Propagation;

/// <summary>
/// Sends one question to exactly one server with DnsClient, with the settings a propagation monitor needs: no
/// cache (its key ignores the server, so it would report one resolver's answer as another's), one server per
/// call (several make it fail over silently), EDNS buffer 1232, TCP fallback on truncation, at most one retry.
/// Every failure, timeouts included (the library throws for those), becomes an error reason; nothing escapes.
/// </summary>
public sealed class DnsQuerier
{
    private readonly ConcurrentDictionary<(IPEndPoint, bool, TimeSpan), LookupClient> _clients = new();

    public static readonly IReadOnlyList<string> ErrorReasons = ["timeout", "servfail", "refused", "truncated", "malformed", "network", "other_rcode"];

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
    public async Task<DnsObservation> QueryAsync(IPEndPoint server, string name, QueryType type, bool recursion, TimeSpan timeout, SemaphoreSlim concurrency, CancellationToken cancellationToken)
    {
        await concurrency.WaitAsync(cancellationToken);
        try
        {
            return await QueryAsync(server, name, type, recursion, timeout, cancellationToken);
        }
        finally
        {
            concurrency.Release();
        }
    }

    public async Task<DnsObservation> QueryAsync(IPEndPoint server, string name, QueryType type, bool recursion, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            // The library's own timeout covers each try; this bound covers the whole call (retry and TCP fallback).
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter((timeout * 2) + TimeSpan.FromSeconds(1));
            var response = await Client(server, recursion, timeout).QueryAsync(name, type, QueryClass.IN, bound.Token);
            return Read(response, name, type, watch.Elapsed);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed("timeout", "no answer in time", watch.Elapsed);
        }
        catch (DnsResponseException e) when (e.Code == DnsResponseCode.ConnectionTimeout)
        {
            return Failed("timeout", "no answer in time", watch.Elapsed);
        }
        catch (DnsResponseException e) when (e.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase))
        {
            return Failed("truncated", e.Message, watch.Elapsed);
        }
        catch (DnsResponseException e)
        {
            return Failed("malformed", e.Message, watch.Elapsed);
        }
        catch (SocketException e)
        {
            return Failed("network", e.Message, watch.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Garbage bytes, wrong transaction ids and the like surface as assorted exceptions in this library.
            return Failed("malformed", e.GetBaseException().Message, watch.Elapsed);
        }
    }

    private static DnsObservation Failed(string error, string detail, TimeSpan latency) => new([], [], null, error, detail, false, null, latency);

    private static DnsObservation Read(IDnsQueryResponse response, string name, QueryType type, TimeSpan latency)
    {
        var question = response.Questions.Count > 0 ? response.Questions[0] : null;
        if (question is null || question.QuestionType != type
            || !string.Equals(question.QueryName.Value.TrimEnd('.'), name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
        {
            return Failed("malformed", "answer does not match the question", latency);
        }

        var header = response.Header;
        var soa = response.Authorities.OfType<SoaRecord>().FirstOrDefault() ?? response.Answers.OfType<SoaRecord>().FirstOrDefault();
        switch (header.ResponseCode)
        {
            case DnsHeaderResponseCode.NoError:
                break;
            case DnsHeaderResponseCode.NotExistentDomain:
                return new([], [], soa is null ? null : (int)Math.Min(soa.InitialTimeToLive, soa.Minimum), null, "NXDOMAIN", header.HasAuthorityAnswer, soa?.Serial, latency);
            case DnsHeaderResponseCode.ServerFailure:
                return Failed("servfail", "SERVFAIL", latency);
            case DnsHeaderResponseCode.Refused:
                return Failed("refused", "REFUSED", latency);
            default:
                return Failed("other_rcode", header.ResponseCode.ToString(), latency);
        }

        var addresses = new List<string>();
        var cnames = new List<string>();
        int? ttl = null;
        foreach (var record in response.Answers)
        {
            switch (record)
            {
                case ARecord a when type == QueryType.A:
                    addresses.Add(a.Address.ToString());
                    ttl = ttl is null ? a.InitialTimeToLive : Math.Min(ttl.Value, a.InitialTimeToLive);
                    break;
                case AaaaRecord aaaa when type == QueryType.AAAA:
                    addresses.Add(aaaa.Address.ToString());
                    ttl = ttl is null ? aaaa.InitialTimeToLive : Math.Min(ttl.Value, aaaa.InitialTimeToLive);
                    break;
                case CNameRecord cname:
                    cnames.Add(cname.CanonicalName.Value.TrimEnd('.').ToLowerInvariant());
                    break;
                default:
                    break;
            }
        }

        if (addresses.Count == 0 && cnames.Count == 0)
        {
            return new([], [], soa is null ? null : (int)Math.Min(soa.InitialTimeToLive, soa.Minimum), null, "NODATA", header.HasAuthorityAnswer, soa?.Serial, latency);
        }

        addresses.Sort(StringComparer.Ordinal);
        return new(addresses.Distinct().ToList(), cnames, ttl, null, null, header.HasAuthorityAnswer, soa?.Serial, latency);
    }

    /// <summary>
    /// The whole response, for questions whose answer is in the authority section (a parent's referral) or whose owner
    /// name matters (the SOA that names the zone); null with a reason when nothing usable came back.
    /// </summary>
    public async Task<(IDnsQueryResponse? Response, string? Error)> RawAsync(IPEndPoint server, string name, QueryType type, bool recursion, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bound.CancelAfter((timeout * 2) + TimeSpan.FromSeconds(1));
            var response = await Client(server, recursion, timeout).QueryAsync(name, type, QueryClass.IN, bound.Token);
            return response.Header.ResponseCode is DnsHeaderResponseCode.NoError or DnsHeaderResponseCode.NotExistentDomain
                ? (response, null)
                : (null, response.Header.ResponseCode.ToString().ToUpperInvariant());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, "timeout");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, e is DnsResponseException { Code: DnsResponseCode.ConnectionTimeout } ? "timeout" : e.GetBaseException().Message);
        }
    }

    /// <summary>The name servers of the zone that holds <paramref name="host"/>: walk up the labels asking for NS.</summary>
    public async Task<IReadOnlyList<(string Name, IPEndPoint EndPoint)>> FindAuthoritativeAsync(string host, IReadOnlyList<IPEndPoint> recursive, TimeSpan timeout, CancellationToken cancellationToken)
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
