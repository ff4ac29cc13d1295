using System.Diagnostics;
using System.Net;
using DnsClient;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real Knot DNS (authoritative) on its own 127.x.y.z and a free port, serving one zone from a temp folder with the
/// geoip module in subnet mode: a question carrying an EDNS Client Subnet inside one of <c>views</c> gets that view's
/// address (with the view's prefix as scope, RFC 7871), any other question the zone's own record. This is how a
/// geo-aware authoritative (Route 53 geo/latency records, a CDN) answers, so it shows what ECS rows can and cannot see.
/// Runs as the current user, no NSID unless given, killed on dispose.
/// </summary>
internal sealed class Knot : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private Knot(Process process, string directory, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.ToString();

    /// <param name="zone">the zone's name, e.g. example.test</param>
    /// <param name="records">zone file lines after the SOA (relative names are under the zone)</param>
    /// <param name="host">the name whose A answer depends on the client subnet</param>
    /// <param name="views">client subnet (CIDR) to the A address answered for it</param>
    /// <param name="nsid">the NSID (RFC 5001) it returns; null: none (Knot's default would be the host name)</param>
    /// <param name="identity">what it answers to <c>CH TXT id.server</c> (RFC 4892); null: nothing</param>
    public static async Task<Knot> StartAsync(string zone, IEnumerable<string> records, string host, IReadOnlyList<(string Subnet, string Address)> views,
        string? nsid = null, string? identity = null)
    {
        var directory = Directory.CreateTempSubdirectory("dnsbridge-knot").FullName;
        await File.WriteAllLinesAsync(Path.Combine(directory, "zone"),
            [$"$ORIGIN {zone}.", "$TTL 300", $"@ 3600 IN SOA ns.{zone}. hostmaster.{zone}. 1 3600 600 86400 300", $"@ IN NS ns.{zone}.", "ns IN A 127.0.0.1", .. records]);
        await File.WriteAllLinesAsync(Path.Combine(directory, "geo.conf"),
            [$"{host}:", .. views.SelectMany(v => new[] { $"  - net: {v.Subnet}", $"    A: {v.Address}" })]);
        for (var attempt = 0; ; attempt++)
        {
            var endPoint = Nsd.FreeEndPoint();
            await File.WriteAllTextAsync(Path.Combine(directory, "knot.conf"), Conf(directory, zone, endPoint, nsid, identity));
            var info = new ProcessStartInfo("/usr/sbin/knotd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-c", Path.Combine(directory, "knot.conf") })
            {
                info.ArgumentList.Add(arg);
            }

            var server = new Knot(Process.Start(info)!, directory, endPoint);
            if (await server.ServesAsync(zone))
            {
                return server;
            }

            var error = server._process.HasExited ? await server._process.StandardError.ReadToEndAsync() : "no answer";
            await ServerProcess.StopAsync(server._process);
            if (attempt == 3)
            {
                Directory.Delete(directory, recursive: true);
                throw new InvalidOperationException($"knotd did not start: {error}");
            }
        }
    }

    // The geoip module's file key is config-file in 3.2 (conf-file only in later docs); edns-client-subnet makes every
    // answer to a subnet-carrying question echo it with a scope.
    private static string Conf(string directory, string zone, IPEndPoint endPoint, string? nsid, string? identity) => $"""
        server:
            listen: {endPoint.Address}@{endPoint.Port}
            rundir: "{directory}"
            pidfile: "{directory}/knot.pid"
            nsid: "{nsid ?? ""}"
            identity: "{identity ?? ""}"
            version: ""
            edns-client-subnet: on
            udp-workers: 1
            tcp-workers: 1
            background-workers: 1
        log:
          - target: stderr
            any: warning
        database:
            storage: "{directory}"
        control:
            listen: "{directory}/knot.sock"
        mod-geoip:
          - id: views
            config-file: "{directory}/geo.conf"
            ttl: 30
            mode: subnet
        zone:
          - domain: {zone}
            storage: "{directory}"
            file: zone
            module: mod-geoip/views

        """;

    private async Task<bool> ServesAsync(string zone)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(EndPoint)) { UseCache = false, Recursion = false, Timeout = TimeSpan.FromMilliseconds(500), Retries = 0, ThrowDnsErrors = false });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                var answer = await client.QueryAsync(zone, QueryType.SOA);
                if (answer.Answers.SoaRecords().Any())
                {
                    return true;
                }
            }
            catch (DnsResponseException)
            {
            }

            await Task.Delay(50);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await ServerProcess.StopAsync(_process);
        Directory.Delete(_directory, recursive: true);
    }
}
