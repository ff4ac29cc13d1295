using System.Diagnostics;
using System.Net;
using DnsClient;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real dnsmasq on 127.0.0.1 and a free port, answering only from its own hosts file (no upstream, no cache of
/// anything else). <see cref="SetAsync"/> rewrites the records and sends SIGHUP, as an operator flipping a
/// record would, and waits until dnsmasq answers the new way.
/// </summary>
internal sealed class Dnsmasq : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private Dnsmasq(Process process, string directory, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.ToString();

    /// <param name="records">host name to addresses (none: the name is unknown, so NXDOMAIN under .test)</param>
    /// <param name="extra">more dnsmasq arguments, e.g. --cname=a.test,b.test</param>
    public static Task<Dnsmasq> StartAsync(IDictionary<string, string[]> records, int ttl = 300, params string[] extra) => StartAtAsync(null, records, ttl, extra);

    /// <summary>
    /// A loopback address of its own on port 53 (127.53.x.y: all of 127/8 is local on Linux), for servers found by NS
    /// lookups, which are always asked on port 53. Random so parallel runs do not collide.
    /// </summary>
    public static IPEndPoint Port53() => new(new IPAddress([127, 53, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]), 53);

    /// <param name="listen">where to listen (null: 127.0.0.1 and a free port)</param>
    public static async Task<Dnsmasq> StartAtAsync(IPEndPoint? listen, IDictionary<string, string[]> records, int ttl = 300, params string[] extra)
    {
        var directory = Directory.CreateTempSubdirectory("dnsbridge-dnsmasq").FullName;
        await WriteHostsAsync(directory, records);
        for (var attempt = 0; ; attempt++)
        {
            var address = listen?.Address ?? IPAddress.Loopback;
            var port = listen?.Port ?? Ports.Free(address, udpToo: true);
            var info = new ProcessStartInfo("/usr/sbin/dnsmasq")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--no-daemon", "--no-resolv", "--no-hosts", "--no-poll", $"--addn-hosts={Path.Combine(directory, "hosts")}",
                $"--port={port}", $"--listen-address={address}", "--bind-interfaces", $"--local-ttl={ttl}", "--local=/test/",
                "--cache-size=0", "-u", "root", "--pid-file=",
            }.Concat(extra))
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info)!;
            var server = new Dnsmasq(process, directory, new IPEndPoint(address, port));
            // An answer from a process that has exited came from another server on the same port: not ours.
            if (await server.AnswersAsync() && !process.HasExited)
            {
                return server;
            }

            var error = process.HasExited ? await process.StandardError.ReadToEndAsync() : "no answer";
            await server.StopAsync();
            if (attempt == 3)
            {
                throw new InvalidOperationException($"dnsmasq did not start: {error}");
            }
        }
    }

    /// <summary>Replaces the records and waits (bounded) until dnsmasq serves them.</summary>
    public async Task SetAsync(string host, params string[] addresses)
    {
        await WriteHostsAsync(_directory, new Dictionary<string, string[]> { [host] = addresses });
        Process.Start("kill", ["-HUP", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var client = Client();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var answer = await client.QueryAsync(host, QueryType.A);
            var got = answer.Answers.ARecords().Select(a => a.Address.ToString()).Order().ToArray();
            if (got.SequenceEqual(addresses.Order()))
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"dnsmasq did not pick up {host} -> {string.Join(",", addresses)}");
    }

    private LookupClient Client() => new(new LookupClientOptions(new NameServer(EndPoint)) { UseCache = false, Timeout = TimeSpan.FromSeconds(1), Retries = 0 });

    private async Task<bool> AnswersAsync()
    {
        var client = Client();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                await client.QueryAsync("probe.test", QueryType.A);
                return true;
            }
            catch (DnsResponseException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    private static async Task WriteHostsAsync(string directory, IDictionary<string, string[]> records)
    {
        var lines = records.SelectMany(r => r.Value.Select(a => $"{a} {r.Key}"));
        var staged = Path.Combine(directory, "hosts.tmp");
        await File.WriteAllLinesAsync(staged, lines);
        File.Move(staged, Path.Combine(directory, "hosts"), overwrite: true);
    }

    private Task StopAsync() => ServerProcess.StopAsync(_process);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
