using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real unbound recursor on its own 127.x.y.z: plain DNS, DNS over TLS and DNS over HTTPS (Debian's build has
/// libnghttp2) with a certificate from a test CA, an NSID, and a stub zone pointing at a test authoritative server
/// (nsd), so that what it answers follows that server's zone and its cache TTLs.
/// </summary>
internal sealed class Unbound : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private Unbound(Process process, string directory, IPAddress address, int udp, int tls, int https)
    {
        _process = process;
        _directory = directory;
        Address = address;
        Udp = new IPEndPoint(address, udp);
        Tls = new IPEndPoint(address, tls);
        Https = new IPEndPoint(address, https);
    }

    public IPAddress Address { get; }

    public IPEndPoint Udp { get; }

    public IPEndPoint Tls { get; }

    public IPEndPoint Https { get; }

    /// <param name="certificates">the CA that signs its certificate</param>
    /// <param name="tlsName">the name its certificate is valid for (also valid for its IP)</param>
    /// <param name="zone">the zone it asks <paramref name="authoritative"/> for</param>
    /// <param name="nsid">the NSID it returns (RFC 5001); null: none</param>
    /// <param name="identity">what it answers to <c>CH TXT id.server</c>; null: unbound's default (the host name)</param>
    /// <param name="logQueries">log every question it gets (read with <see cref="LogAsync"/>)</param>
    public static async Task<Unbound> StartAsync(TestCertificates certificates, string tlsName, string zone, IPEndPoint authoritative, string? nsid,
        string? identity = null, bool logQueries = false)
    {
        var directory = Directory.CreateTempSubdirectory("dnsbridge-unbound").FullName;
        for (var attempt = 0; ; attempt++)
        {
            var address = new IPAddress([127, (byte)Random.Shared.Next(60, 250), (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);
            var (udp, tls, https) = (FreePort(address), FreePort(address), FreePort(address));
            using (var certificate = certificates.Issue([tlsName, address.ToString()]))
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "cert.pem"), certificate.ExportCertificatePem());
                await File.WriteAllTextAsync(Path.Combine(directory, "key.pem"), certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            }

            await File.WriteAllTextAsync(Path.Combine(directory, "unbound.conf"), $"""
                server:
                    interface: {address}@{udp}
                    interface: {address}@{tls}
                    interface: {address}@{https}
                    tls-port: {tls}
                    https-port: {https}
                    tls-service-key: "{directory}/key.pem"
                    tls-service-pem: "{directory}/cert.pem"
                    {(nsid is null ? "" : $"nsid: \"ascii_{nsid}\"")}
                    {(identity is null ? "" : $"identity: \"{identity}\"")}
                    hide-identity: no
                    log-queries: {(logQueries ? "yes" : "no")}
                    username: ""
                    chroot: ""
                    directory: "{directory}"
                    pidfile: "{directory}/unbound.pid"
                    use-syslog: no
                    logfile: "{directory}/unbound.log"
                    verbosity: 1
                    num-threads: 1
                    do-ip6: no
                    access-control: 127.0.0.0/8 allow
                    do-not-query-localhost: no
                    module-config: "iterator"
                    local-zone: "test." nodefault
                    harden-referral-path: no
                    qname-minimisation: no
                remote-control:
                    control-enable: no
                stub-zone:
                    name: "{zone}."
                    stub-addr: {authoritative.Address}@{authoritative.Port}

                """);
            var info = new ProcessStartInfo("/usr/sbin/unbound") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var arg in new[] { "-d", "-c", Path.Combine(directory, "unbound.conf") })
            {
                info.ArgumentList.Add(arg);
            }

            var server = new Unbound(Process.Start(info)!, directory, address, udp, tls, https);
            if (await server.ListensAsync())
            {
                return server;
            }

            var log = File.Exists(Path.Combine(directory, "unbound.log")) ? await File.ReadAllTextAsync(Path.Combine(directory, "unbound.log")) : "";
            var error = server._process.HasExited ? await server._process.StandardError.ReadToEndAsync() : "not listening";
            await ServerProcess.StopAsync(server._process);
            if (attempt == 3)
            {
                Directory.Delete(directory, recursive: true);
                throw new InvalidOperationException($"unbound did not start: {error} {log}");
            }
        }
    }

    /// <summary>Its log so far (with <c>logQueries</c>: one line per question, e.g. <c>info: 127.0.0.1 id.server. TXT CH</c>).</summary>
    public async Task<string> LogAsync()
    {
        await using var stream = new FileStream(Path.Combine(_directory, "unbound.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    /// <summary>Bounded wait until the TLS and HTTPS ports accept connections.</summary>
    private async Task<bool> ListensAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var tls = new TcpClient();
                await tls.ConnectAsync(Tls);
                using var https = new TcpClient();
                await https.ConnectAsync(Https);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        return false;
    }

    private static int FreePort(IPAddress address) => Ports.Free(address, udpToo: true);

    public async ValueTask DisposeAsync()
    {
        await ServerProcess.StopAsync(_process);
        Directory.Delete(_directory, recursive: true);
    }
}
