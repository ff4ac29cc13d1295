using System.Diagnostics;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;
using DnsClient;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// Mutated DNS answers (bytes flipped, cut, extended, record counts lying) against the querier the monitor
/// uses: every question ends in an observation, within the bound of its timeout, and nothing escapes.
/// </summary>
public sealed class DnsFuzzTests
{
    [Fact]
    public async Task Mutated_answers_become_observations_never_exceptions_or_hangs()
    {
        await using var server = new FaultyDnsServer(FaultyDnsServer.Fault.Mutated, "203.0.113.10");
        var querier = new DnsQuerier();
        var timeout = TimeSpan.FromMilliseconds(300);
        var bound = (timeout * 2) + TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(2);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var i = 0; i < 200; i++)
        {
            var watch = Stopwatch.StartNew();
            var observation = await querier.QueryAsync(server.EndPoint, $"host{i}.example.test", i % 2 == 0 ? QueryType.A : QueryType.AAAA, recursion: true, timeout, CancellationToken.None);

            Assert.True(watch.Elapsed < bound, $"question {i} took {watch.Elapsed}");
            if (observation.Error is not null)
            {
                Assert.Contains(observation.Error, DnsFailureReason.All);
            }

            var key = observation.Error ?? (observation.Addresses.Count > 0 ? "answer" : observation.Detail ?? "empty");
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        // The mutations really do reach the parser: most answers are spoiled and classified as errors.
        Assert.True(outcomes.GetValueOrDefault("malformed") + outcomes.GetValueOrDefault("timeout") + outcomes.GetValueOrDefault("other_rcode") > 20,
            string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
    }

    [Fact]
    public async Task Mutated_answers_to_the_wire_codec_become_observations_never_exceptions_or_hangs()
    {
        await using var server = new FaultyDnsServer(FaultyDnsServer.Fault.Mutated, "203.0.113.10");
        await using var querier = new DnsQuerier();
        var timeout = TimeSpan.FromMilliseconds(300);
        var bound = (timeout * 2) + TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(2);
        var question = new ResolverQuestion(DnsBridge.Configuration.ResolverAddress.Plain(server.EndPoint));
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);

        for (var i = 0; i < 200; i++)
        {
            var watch = Stopwatch.StartNew();
            var observation = await querier.AskAsync(question, $"host{i}.example.test", i % 2 == 0 ? QueryType.A : QueryType.AAAA, recursion: true, timeout, CancellationToken.None);

            Assert.True(watch.Elapsed < bound, $"question {i} took {watch.Elapsed}");
            if (observation.Error is not null)
            {
                Assert.Contains(observation.Error, DnsFailureReason.All);
            }

            var key = observation.Error ?? (observation.Addresses.Count > 0 ? "answer" : observation.Detail ?? "empty");
            outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
        }

        Assert.True(outcomes.GetValueOrDefault("malformed") > 20, string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
        Assert.True(outcomes.GetValueOrDefault("answer") > 0, string.Join(", ", outcomes.Select(o => $"{o.Key}={o.Value}")));
    }
}
