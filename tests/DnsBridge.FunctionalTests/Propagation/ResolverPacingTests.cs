using System.Text.RegularExpressions;
using DnsBridge.FunctionalTests.Infrastructure;
using DnsBridge.Propagation;
using Xunit.Abstractions;

namespace DnsBridge.FunctionalTests.Propagation;

/// <summary>
/// A wave of cutovers against one real resolver (dnsmasq logging every question it receives): the monitor never sends
/// it more than <c>Propagation:MaxQuestionsPerSecondPerResolver</c> questions in a second, every cutover's row still
/// gets its answer, and the log says once that the cap makes the pass longer than the interval.
/// </summary>
public sealed partial class ResolverPacingTests(ITestOutputHelper output)
{
    private const int Cutovers = 60;
    private const int Cap = 10;
    private const string Target = "127.0.0.2";

    private static string Host(int i) => $"c{i}.wave.test";

    [Fact]
    public async Task Sixty_cutovers_reach_one_resolver_at_most_the_cap_a_second_and_every_row_gets_its_answer()
    {
        var log = Path.Combine(Directory.CreateTempSubdirectory("dnsbridge-pacing").FullName, "queries.log");
        await using var resolver = await Dnsmasq.StartAsync(
            Enumerable.Range(0, Cutovers).ToDictionary(Host, _ => new[] { Target }), 300, "--log-queries", $"--log-facility={log}");
        await using var bridge = await BridgeHost.StartAsync(new
        {
            Cutovers = Enumerable.Range(0, Cutovers).Select(i => new
            {
                Name = $"c{i}",
                Hosts = new[] { Host(i) },
                Target = new { Address = Target, Port = 9, Scheme = "http" },
                SourceAddresses = new[] { "198.51.100.7" },
            }).ToArray(),
            Resolvers = new { Preset = "none", Authoritative = false, Custom = new[] { new { Name = "r0", resolver.Address } } },

            // 60 questions at 10 a second take 6 s: longer than the 5 s interval, so the pass stretches.
            Propagation = new { Interval = "00:00:05", Timeout = "00:00:00.500", MaxQuestionsPerSecondPerResolver = Cap },
        });

        // The first pass (at the cap's pace) gives every row its answer; then a second, spread pass.
        var view = bridge.Services.GetRequiredService<IPropagationView>();
        var monitor = bridge.Services.GetRequiredService<PropagationMonitor>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(monitor.Passes >= 2 && Enumerable.Range(0, Cutovers).All(i => view.Latest($"c{i}") is { Complete: true })))
        {
            Assert.True(DateTime.UtcNow < deadline, $"after {monitor.Passes} passes, rows without the target: {string.Join(", ", Enumerable.Range(0, Cutovers).Where(i => view.Latest($"c{i}") is not { Complete: true }).Select(i => $"c{i}"))}");
            await Task.Delay(100);
        }

        Assert.All(Enumerable.Range(0, Cutovers), i =>
        {
            var row = Assert.Single(view.Latest($"c{i}")!.Resolvers);
            Assert.Equal(ResolverAnswer.Target, row.Answer);
            Assert.Equal([Target], row.Addresses);
        });

        // What the resolver saw: every cutover's name asked in both passes, never more than the cap in one second.
        var questions = File.ReadLines(log).Select(l => Question().Match(l)).Where(m => m.Success).ToList();
        var perName = questions.GroupBy(m => m.Groups["name"].Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(Enumerable.Range(0, Cutovers).Select(Host).Order(), perName.Keys.Order());
        Assert.All(perName, n => Assert.True(n.Value >= 2, $"{n.Key} asked {n.Value} times"));
        var perSecond = questions.GroupBy(m => m.Groups["at"].Value, StringComparer.Ordinal).Select(g => g.Count()).ToList();
        output.WriteLine($"questions a second to r0, in log order: {string.Join(" ", perSecond)}");
        Assert.True(perSecond.All(c => c <= Cap), $"questions a second, in log order: {string.Join(" ", perSecond)}");

        var warning = Assert.Single(bridge.Logs.Messages, m => m.Contains("Propagation:MaxQuestionsPerSecondPerResolver", StringComparison.Ordinal));
        Assert.Contains("Resolver \"r0\"", warning, StringComparison.Ordinal);
        Assert.Contains("take 6 s, longer than Propagation:Interval (5 s)", warning, StringComparison.Ordinal);
    }

    // dnsmasq's log line for a received question, e.g. "Dec  7 00:10:01 dnsmasq[42]: query[A] c1.wave.test from 127.0.0.1".
    [GeneratedRegex(@"^(?<at>\w{3} +\d+ \d\d:\d\d:\d\d) dnsmasq\[\d+\]: (?:\d+ )?query\[A\] (?<name>c\d+\.wave\.test) from ")]
    private static partial Regex Question();
}
