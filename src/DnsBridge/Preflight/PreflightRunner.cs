using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DnsBridge.Configuration;
using DnsBridge.Forwarding;
using DnsBridge.Mirror;
using DnsBridge.Phases;

namespace DnsBridge.Preflight;

/// <summary>
/// The pre-cutover checklist, run by the tool: target reachability, TLS and certificate per host, the health
/// path answered through exactly the connection path the forwarder uses, and local readiness. DNS checks come
/// from <see cref="IPreflightDnsChecks"/> when the propagation feature provides them.
/// </summary>
internal sealed class PreflightRunner(TimeProvider time, IPreflightDnsChecks? dns = null, IMirrorReadiness? mirror = null)
{
    public const int CertificateWarnDays = 14;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    public async Task<PreflightReport> RunAsync(DnsBridgeConfig config, IReadOnlyCollection<string>? cutovers, bool includeLocal, CancellationToken cancellationToken)
    {
        var results = new List<PreflightResult>();
        foreach (var cutover in config.Cutovers.Where(c => cutovers is null || cutovers.Count == 0 || cutovers.Contains(c.Name, StringComparer.OrdinalIgnoreCase)))
        {
            results.AddRange(await CheckTargetAsync(cutover, cancellationToken));
            if (cutover.SourceBackend is { } source)
            {
                results.AddRange(await CheckSourceBackendAsync(cutover, source, cancellationToken));
                results.Add(CheckGate(cutover));
            }

            if (dns is not null)
            {
                results.AddRange(await dns.CheckAsync(config, cutover, cancellationToken));
            }

            if (cutover.Target.AllowInvalidCertificate)
            {
                results.Add(new PreflightResult(cutover.Name, "config", "certificate validation", null, PreflightStatus.Warn,
                    "Target.AllowInvalidCertificate is on: the target's certificate is not checked",
                    "turn it off before the DNS switch; use Target.CaFile for a private CA"));
            }
        }

        if (includeLocal)
        {
            results.AddRange(await CheckLocalAsync(config, cancellationToken));
        }

        return new PreflightReport(time.GetUtcNow(), results);
    }

    private async Task<List<PreflightResult>> CheckTargetAsync(CutoverConfig cutover, CancellationToken cancellationToken)
    {
        var results = new List<PreflightResult>();
        var target = cutover.Target;
        var address = IPAddress.Parse(target.Address);

        // Port forwards: each target port must accept connections (the bytes relayed are not DnsBridge's to judge).
        foreach (var forward in cutover.Ports)
        {
            results.Add((await ConnectRowAsync(cutover, new IPEndPoint(address, forward.Target), cancellationToken)).Row);
        }

        if (target.Scheme == TargetConfig.SchemeTcp)
        {
            return results;
        }

        var endpoint = new IPEndPoint(address, target.Port);
        var (row, connected) = await ConnectRowAsync(cutover, endpoint, cancellationToken);
        results.Add(row);
        if (!connected)
        {
            return results;
        }

        foreach (var host in cutover.Hosts)
        {
            // Passthrough: the client validates the target's certificate for the name it asked for, so check the same.
            if (target.IsHttps || target.IsPassthrough)
            {
                results.Add(await CheckTlsAsync(cutover, host, endpoint, cancellationToken));
            }

            if (!target.IsConnectionOnly)
            {
                results.Add(await CheckHealthAsync(cutover, host, cancellationToken));
            }
        }

        return results;
    }

    /// <summary>
    /// The source backend checked like a target (connect, TLS and certificate per host, the health path), in rows of
    /// their own: rehearsal, a rollback and held requests released by <c>rehearse</c> go there.
    /// </summary>
    private async Task<IEnumerable<PreflightResult>> CheckSourceBackendAsync(CutoverConfig cutover, SourceBackendConfig source, CancellationToken cancellationToken)
    {
        var asTarget = cutover with { Target = source.AsTarget(cutover.Target), Ports = cutover.Target.Scheme == TargetConfig.SchemeTcp ? cutover.Ports : [] };
        var rows = await CheckTargetAsync(asTarget, cancellationToken);
        return rows.Select(r => r with
        {
            Area = "source backend",
            Check = r.Area == "target" ? r.Check : $"{r.Area} {r.Check}",
            Action = r.Action?.Replace("Target.", "SourceBackend.", StringComparison.Ordinal).Replace("the target", "the source backend", StringComparison.Ordinal),
        });
    }

    /// <summary>
    /// The readiness gate as it stands: what <c>switch</c> would say now. A warning, not a failure: before rehearsal
    /// nothing is mirrored yet, and <c>--force</c> exists.
    /// </summary>
    private PreflightResult CheckGate(CutoverConfig cutover)
    {
        if (cutover.Switch.Require is null)
        {
            return new PreflightResult(cutover.Name, "switch", "readiness gate", null, PreflightStatus.Pass, "no Switch.Require: switch is not gated", null);
        }

        var failures = PhaseRules.GateFailures(cutover.Switch.Require, (mirror ?? new NoMirrorReadiness()).Readiness(cutover.Name));
        return failures.Count == 0
            ? new PreflightResult(cutover.Name, "switch", "readiness gate", null, PreflightStatus.Pass, "the mirrored comparison meets Switch.Require", null)
            : new PreflightResult(cutover.Name, "switch", "readiness gate", null, PreflightStatus.Warn, $"switch would be refused now: {string.Join("; ", failures)}",
                "rehearse with mirroring until the comparison meets Switch.Require (ask the running instance: GET /api/cutovers/NAME/preflight), or switch --force");
    }

    private static async Task<(PreflightResult Row, bool Connected)> ConnectRowAsync(CutoverConfig cutover, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            using var socket = await ConnectAsync(endpoint, cancellationToken);
            return (new PreflightResult(cutover.Name, "target", "tcp connect", endpoint.ToString(), PreflightStatus.Pass,
                $"connected in {watch.Elapsed.TotalMilliseconds:0.0} ms", null, Math.Round(watch.Elapsed.TotalMilliseconds, 1)), true);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            return (new PreflightResult(cutover.Name, "target", "tcp connect", endpoint.ToString(), PreflightStatus.Fail,
                $"cannot connect: {Describe(e)}", "check the target EIP and port, security groups/firewall between the source and the target"), false);
        }
    }

    private async Task<PreflightResult> CheckTlsAsync(CutoverConfig cutover, string host, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var target = cutover.Target;
        var serverName = target.ServerName ?? host;
        X509Certificate2? certificate = null;
        var errors = SslPolicyErrors.None;
        X509Chain? chain = null;
        try
        {
            using var socket = await ConnectAsync(endpoint, cancellationToken);
#pragma warning disable CA5359 // The handshake only inspects the certificate (nothing is sent over it); the verdict below uses the forwarder's validation.
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                RemoteCertificateValidationCallback = (_, c, ch, e) =>
                {
                    certificate = c is null ? null : X509CertificateLoader.LoadCertificate(c.GetRawCertData());
                    errors = e;
                    chain = ch;

                    // Inspect whatever is presented; the verdict is made below with the forwarder's own rules.
                    return true;
                },
            }, cancellationToken).WaitAsync(ConnectTimeout, cancellationToken);
#pragma warning restore CA5359
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException or TimeoutException or OperationCanceledException)
        {
            return new PreflightResult(cutover.Name, "tls", "handshake", host, PreflightStatus.Fail,
                $"TLS handshake with SNI {serverName} failed: {Describe(e)}", "check that the target listens with TLS on this port and serves this name");
        }

        using (certificate)
        {
            if (certificate is null)
            {
                return new PreflightResult(cutover.Name, "tls", "certificate", host, PreflightStatus.Fail, "no certificate presented", null);
            }

            var names = string.Join(", ", certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(s => s.EnumerateDnsNames()));
            var trusted = TargetHandlerFactory.CreateValidator(target with { AllowInvalidCertificate = false })(this, certificate, chain, errors);
            var now = time.GetUtcNow();
            var daysLeft = (certificate.NotAfter.ToUniversalTime() - now.UtcDateTime).TotalDays;
            var found = $"SNI {serverName}: {certificate.Subject} ({names}), issuer {certificate.Issuer}, valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}";
            var (status, problem, action) =
                (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 ? (PreflightStatus.Fail, $"not valid for {serverName}", "install a certificate for this name on the target LB (or set Target.ServerName)")
                : certificate.NotBefore.ToUniversalTime() > now.UtcDateTime ? (PreflightStatus.Fail, "not valid yet", "check the certificate's start date and the target's clock")
                : daysLeft < 0 ? (PreflightStatus.Fail, "expired", "renew the target's certificate before the switch")
                : !trusted ? (PreflightStatus.Fail, $"not trusted ({string.Join(", ", chain?.ChainStatus.Select(s => s.Status.ToString()) ?? [])})", "use a publicly trusted certificate, or add its CA with Target.CaFile")
                : daysLeft < CertificateWarnDays ? (PreflightStatus.Warn, $"expires in {daysLeft:0} days", "renew the certificate before the cutover window")
                : (PreflightStatus.Pass, $"valid, {daysLeft:0} days left", (string?)null);
            if (status == PreflightStatus.Fail && target.AllowInvalidCertificate)
            {
                status = PreflightStatus.Warn;
                action = "AllowInvalidCertificate hides this while forwarding: " + action;
            }

            return new PreflightResult(cutover.Name, "tls", "certificate", host, status, $"{problem}: {found}", action);
        }
    }

    private static async Task<PreflightResult> CheckHealthAsync(CutoverConfig cutover, string host, CancellationToken cancellationToken)
    {
        var target = cutover.Target;
        var mode = TargetHandlerFactory.ModeOf(target);
        var authority = mode == TargetHandlerFactory.TlsMode.WrapWithServerName ? target.ServerName : host;
        var scheme = mode == TargetHandlerFactory.TlsMode.Https ? "https" : "http";
        using var invoker = new HttpMessageInvoker(TargetHandlerFactory.Create(target));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{scheme}://{authority}:{target.Port}{target.HealthPath}");
        request.Headers.Host = host;
        request.Headers.UserAgent.ParseAdd("dnsbridge-preflight");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.Timeout < TimeSpan.FromSeconds(10) ? target.Timeout : TimeSpan.FromSeconds(10));
        var watch = Stopwatch.StartNew();
        try
        {
            using var response = await invoker.SendAsync(request, timeout.Token);
            var code = (int)response.StatusCode;
            var ms = Math.Round(watch.Elapsed.TotalMilliseconds, 1);
            var found = $"GET {target.HealthPath} with Host {host} answered {code} in {ms:0.0} ms";
            return code >= 500
                ? new PreflightResult(cutover.Name, "target", "health path", host, PreflightStatus.Fail, found, "the target application is not healthy for this host; fix it before the switch", ms)
                : code >= 400
                    ? new PreflightResult(cutover.Name, "target", "health path", host, PreflightStatus.Warn, found, "set Target.HealthPath to a path the target serves, or check the target's host routing", ms)
                    : new PreflightResult(cutover.Name, "target", "health path", host, PreflightStatus.Pass, found, null, ms);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return new PreflightResult(cutover.Name, "target", "health path", host, PreflightStatus.Fail,
                $"GET {target.HealthPath} with Host {host} failed: {Describe(e)}", "residual traffic would get 502/504: fix the target before the switch");
        }
    }

    private static async Task<List<PreflightResult>> CheckLocalAsync(DnsBridgeConfig config, CancellationToken cancellationToken)
    {
        var results = new List<PreflightResult>();
        foreach (var (name, url) in new[] { ("proxy", config.Listen.Proxy), ("admin", config.Listen.Admin), ("proxy https", config.Listen.ProxyHttps) })
        {
            if (url is null || !ConfigParsers.TryParseListenUrl(url, out var endpoint, out _, url.StartsWith("https", StringComparison.Ordinal) ? "https" : "http") || endpoint!.Port == 0)
            {
                continue;
            }

            results.Add(await CheckListenAsync(name, endpoint, config, cancellationToken));
        }

        results.Add(config.State.IsPostgres ? await CheckPostgresAsync(config.State, cancellationToken) : CheckStatePath(config.State.Path));
        if (config.Alerts.Webhooks.Count == 0 && config.Alerts.Email is null)
        {
            results.Add(new PreflightResult("-", "local", "webhook reachable", null, PreflightStatus.Warn,
                "no webhook or email configured: drain_complete reaches nobody directly (only the API, the status page and Prometheus)",
                "add Alerts:Webhooks (chat, paging) or Alerts:Email so the team is told when the source can go"));
        }

        foreach (var webhook in config.Alerts.Webhooks)
        {
            results.Add(await CheckWebhookAsync(webhook, cancellationToken));
        }

        return results;
    }

    private static async Task<PreflightResult> CheckListenAsync(string name, IPEndPoint endpoint, DnsBridgeConfig config, CancellationToken cancellationToken)
    {
        try
        {
            using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(endpoint);
            return new PreflightResult("-", "local", $"{name} listener", endpoint.ToString(), PreflightStatus.Pass, "address is free", null);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            if (await IsDnsBridgeAsync(config, cancellationToken))
            {
                return new PreflightResult("-", "local", $"{name} listener", endpoint.ToString(), PreflightStatus.Pass, "in use by a running DnsBridge (its admin listener answers)", null);
            }

            return new PreflightResult("-", "local", $"{name} listener", endpoint.ToString(), PreflightStatus.Fail, "address already in use by another program", "stop it or choose another Listen address");
        }
        catch (SocketException e)
        {
            return new PreflightResult("-", "local", $"{name} listener", endpoint.ToString(), PreflightStatus.Fail, $"cannot bind: {e.Message}", "use an address of this machine");
        }
    }

    private static async Task<bool> IsDnsBridgeAsync(DnsBridgeConfig config, CancellationToken cancellationToken)
    {
        if (!ConfigParsers.TryParseListenUrl(config.Listen.Admin, out var admin, out _))
        {
            return false;
        }

        var host = admin!.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : admin.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : admin.Address;
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            var metrics = await client.GetStringAsync(new Uri($"http://{new IPEndPoint(host, admin.Port)}/metrics"), cancellationToken);
            return metrics.Contains("dnsbridge_", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return false;
        }
    }

    // The connection string may carry a password: the row shows host, port and database only.
    private static async Task<PreflightResult> CheckPostgresAsync(StateConfig state, CancellationToken cancellationToken)
    {
        var shown = PostgresConnectionString.Describe(state.ConnectionString);
        if (!PostgresConnectionString.TryParse(state.ConnectionString ?? "", out var builder, out _))
        {
            return new PreflightResult("-", "local", "state store", shown, PreflightStatus.Fail, "unparsable connection string", "fix State:ConnectionString");
        }

        builder.Timeout = Math.Min(builder.Timeout, 5);
        try
        {
            await using var connection = new Npgsql.NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            return new PreflightResult("-", "local", "state store", shown, PreflightStatus.Pass, $"PostgreSQL {connection.PostgreSqlVersion} reachable", null);
        }
        catch (Npgsql.NpgsqlException e)
        {
            return new PreflightResult("-", "local", "state store", shown, PreflightStatus.Fail, $"cannot connect: {e.Message}",
                "start PostgreSQL or fix State:ConnectionString (host, port, database, user, password)");
        }
    }

    private static PreflightResult CheckStatePath(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            var directory = Path.GetDirectoryName(full)!;
            if (!Directory.Exists(directory))
            {
                return new PreflightResult("-", "local", "state store", full, PreflightStatus.Fail, $"directory {directory} does not exist", "create it or set State.Path (a volume in containers)");
            }

            var probe = Path.Combine(directory, $".dnsbridge-preflight-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            if (File.Exists(full))
            {
                using var stream = File.Open(full, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            }

            return new PreflightResult("-", "local", "state store", full, PreflightStatus.Pass, File.Exists(full) ? "exists and is writable" : "directory writable, file will be created", null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new PreflightResult("-", "local", "state store", full, PreflightStatus.Fail, $"not writable: {e.Message}", "fix permissions or set State.Path");
        }
    }

    private static async Task<PreflightResult> CheckWebhookAsync(WebhookConfig webhook, CancellationToken cancellationToken)
    {
        var uri = new Uri(webhook.Url);

        // Chat webhooks carry their secret in the path or the query: only scheme, host, port and a fingerprint are shown.
        var shown = $"{webhook.Name}: {WebhookDisplay.Of(webhook.Url)}";
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(uri.Host, uri.Port, cancellationToken).AsTask().WaitAsync(ConnectTimeout, cancellationToken);
            return new PreflightResult("-", "local", "webhook reachable", shown, PreflightStatus.Pass, "TCP connection accepted", null);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or OperationCanceledException)
        {
            return new PreflightResult("-", "local", "webhook reachable", shown, PreflightStatus.Fail, $"cannot connect: {Describe(e)}", "drain alerts would queue in the outbox until it is reachable");
        }
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            await socket.ConnectAsync(endpoint, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static string Describe(Exception e) => e switch
    {
        OperationCanceledException or TimeoutException => "timed out",
        SocketException s => s.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "connection refused",
            SocketError.TimedOut => "timed out",
            _ => s.Message,
        },
        _ => e.GetBaseException() is SocketException inner ? Describe(inner) : e.GetBaseException().Message,
    };
}
