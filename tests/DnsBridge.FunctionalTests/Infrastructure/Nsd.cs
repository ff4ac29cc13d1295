using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using DnsClient;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real NSD (authoritative only, never recursive) on its own 127.x.y.z address and a free port, serving one zone
/// from a temp folder: no chroot, no user switch, pid file, xfrd state and zone list beside the zone. <see cref="SetZoneAsync"/>
/// rewrites the zone with a higher serial and sends SIGHUP (NSD re-reads changed zone files), then waits until the
/// new serial is served, as an operator editing the zone at a provider would.
/// </summary>
internal sealed class Nsd : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly string _zone;
    private long _serial = 1;

    private Nsd(Process process, string directory, string zone, IPEndPoint endPoint)
    {
        _process = process;
        _directory = directory;
        _zone = zone;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.ToString();

    /// <param name="zone">the zone's name, e.g. example.test</param>
    /// <param name="records">zone file lines after the SOA (relative names are under the zone)</param>
    /// <param name="listen">where to listen (null: a random 127.x.y.z and a free port)</param>
    /// <param name="nsid">the NSID (RFC 5001) it returns to queries that ask for one; null: none</param>
    /// <param name="identity">what it answers to <c>CH TXT id.server</c> (RFC 4892); null: NSD's default (the host name)</param>
    public static async Task<Nsd> StartAsync(string zone, IEnumerable<string> records, IPEndPoint? listen = null, string? nsid = null, string? identity = null)
    {
        var directory = Directory.CreateTempSubdirectory("dnsbridge-nsd").FullName;
        var lines = records.ToList();
        for (var attempt = 0; ; attempt++)
        {
            var endPoint = listen ?? FreeEndPoint();
            await File.WriteAllTextAsync(Path.Combine(directory, "nsd.conf"), Conf(directory, zone, endPoint, nsid, identity));
            var server = new Nsd(Start(directory), directory, zone, endPoint);
            await server.WriteZoneAsync(lines);
            if (await server.ServesAsync(1))
            {
                return server;
            }

            var error = server._process.HasExited ? await server._process.StandardError.ReadToEndAsync() : "no answer";
            await server.StopAsync();
            if (attempt == 3 || listen is not null)
            {
                throw new InvalidOperationException($"nsd did not start: {error} {ReadLog(directory)}");
            }
        }
    }

    /// <summary>Replaces the zone's records (a new serial), reloads and waits (bounded) until NSD serves them.</summary>
    public async Task SetZoneAsync(IEnumerable<string> records)
    {
        _serial++;
        await WriteZoneAsync(records.ToList());
        Process.Start("kill", ["-HUP", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
        if (!await ServesAsync(_serial))
        {
            throw new TimeoutException($"nsd did not load serial {_serial} of {_zone}: {ReadLog(_directory)}");
        }
    }

    private static string Conf(string directory, string zone, IPEndPoint endPoint, string? nsid, string? identity) => $"""
        server:
            ip-address: {endPoint.Address}@{endPoint.Port}
            port: {endPoint.Port}
            username: ""
            chroot: ""
            zonesdir: "{directory}"
            pidfile: "{directory}/nsd.pid"
            xfrdfile: "{directory}/xfrd.state"
            zonelistfile: "{directory}/zone.list"
            database: ""
            logfile: "{directory}/nsd.log"
            server-count: 1
            verbosity: 2
            hide-version: yes
            refuse-any: yes
            {(nsid is null ? "" : $"nsid: \"ascii_{nsid}\"")}
            {(identity is null ? "" : $"identity: \"{identity}\"")}
            hide-identity: no
        remote-control:
            control-enable: no
        zone:
            name: "{zone}"
            zonefile: "{directory}/zone"

        """;

    private static Process Start(string directory)
    {
        var info = new ProcessStartInfo("/usr/sbin/nsd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "-d", "-c", Path.Combine(directory, "nsd.conf") })
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    private async Task WriteZoneAsync(List<string> records)
    {
        var soa = $"@ 3600 IN SOA ns.{_zone}. hostmaster.{_zone}. {_serial} 3600 600 86400 300";
        var path = Path.Combine(_directory, "zone");
        await File.WriteAllLinesAsync(path + ".tmp", [$"$ORIGIN {_zone}.", "$TTL 300", soa, .. records]);
        File.Move(path + ".tmp", path, overwrite: true);

        // NSD compares modification times; two edits within one second must still look changed.
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddSeconds(_serial));
    }

    private async Task<bool> ServesAsync(long serial)
    {
        var client = new LookupClient(new LookupClientOptions(new NameServer(EndPoint)) { UseCache = false, Recursion = false, Timeout = TimeSpan.FromMilliseconds(500), Retries = 0, ThrowDnsErrors = false });
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                var answer = await client.QueryAsync(_zone, QueryType.SOA);
                if (answer.Answers.SoaRecords().Any(s => s.Serial == serial))
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

    /// <summary>A random 127.x.y.z (all of 127/8 is local on Linux) and a port free there for UDP.</summary>
    internal static IPEndPoint FreeEndPoint()
    {
        var address = new IPAddress([127, (byte)Random.Shared.Next(60, 250), (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return new IPEndPoint(address, ((IPEndPoint)socket.LocalEndPoint!).Port);
    }

    private static string ReadLog(string directory) => File.Exists(Path.Combine(directory, "nsd.log")) ? File.ReadAllText(Path.Combine(directory, "nsd.log")) : "";

    private Task StopAsync() => ServerProcess.StopAsync(_process);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
