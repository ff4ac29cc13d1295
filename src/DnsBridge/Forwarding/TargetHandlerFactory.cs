using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using DnsBridge.Configuration;

namespace DnsBridge.Forwarding;

/// <summary>
/// Builds the connection pool of one cutover's target. Every connection is dialled to <c>Target.Address:Port</c>
/// whatever host the request URI names, so the host name is never resolved (DNS would send it back to the
/// source while propagation is under way), while TLS still speaks and validates the real name.
/// </summary>
internal static class TargetHandlerFactory
{
    /// <summary>
    /// How TLS is done for a cutover. <see cref="TlsMode.Http"/> and <see cref="TlsMode.Https"/> leave TLS to
    /// SocketsHttpHandler, which takes SNI and the certificate name from the Host header (the request's host).
    /// With an explicit <c>ServerName</c> SNI must differ from Host, which the handler cannot do, so the connection
    /// is wrapped in TLS here (<see cref="TlsMode.WrapWithServerName"/>) and spoken to as HTTP/1.1.
    /// </summary>
    internal enum TlsMode
    {
        Http,
        Https,
        WrapWithServerName,
    }

    public static TlsMode ModeOf(TargetConfig target) =>
        !target.IsHttps ? TlsMode.Http : target.ServerName is null ? TlsMode.Https : TlsMode.WrapWithServerName;

    public static SocketsHttpHandler Create(TargetConfig target)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(target.Address), target.Port);
        var mode = ModeOf(target);
        var validator = CreateValidator(target);
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            // No trace headers of our own: the request reaches the target as the client sent it.
            ActivityHeadersPropagator = null,
            ConnectTimeout = target.Timeout < TimeSpan.FromSeconds(10) ? target.Timeout : TimeSpan.FromSeconds(10),
            // Connections are recycled so nothing pins an address for ever; a new EIP builds a new handler anyway.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            MaxResponseHeadersLength = 64,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validator },
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(endpoint, cancellationToken);
                    var stream = new NetworkStream(socket, ownsSocket: true);
                    if (mode != TlsMode.WrapWithServerName)
                    {
                        return stream;
                    }

                    var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                    try
                    {
                        await ssl.AuthenticateAsClientAsync(
                            new SslClientAuthenticationOptions
                            {
                                TargetHost = context.DnsEndPoint.Host,
                                RemoteCertificateValidationCallback = validator,
                                ApplicationProtocols = [SslApplicationProtocol.Http11],
                            },
                            cancellationToken);
                    }
                    catch
                    {
                        await ssl.DisposeAsync();
                        throw;
                    }

                    return ssl;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return handler;
    }

    /// <summary>
    /// System trust first; a <c>CaFile</c> adds private roots (it does not replace the system store); the name
    /// check is never relaxed unless <c>AllowInvalidCertificate</c> turns validation off altogether.
    /// </summary>
    public static RemoteCertificateValidationCallback CreateValidator(TargetConfig target)
    {
        if (target.AllowInvalidCertificate)
        {
#pragma warning disable CA5359 // Explicit, logged and counted opt-out for pre-cutover tests against a not-yet-certified target.
            return static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        return CaFileTrust.Validator(target.CaFile);
    }

    /// <summary>Maps a failed forward to a bounded reason label.</summary>
    public static string ReasonOf(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AuthenticationException:
                    return "tls";
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "connect_refused";
                case SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable }:
                    return "connect_timeout";
                case SocketException { SocketErrorCode: SocketError.ConnectionReset }:
                case IOException { InnerException: SocketException { SocketErrorCode: SocketError.ConnectionReset } }:
                    return "reset";
                case TimeoutException:
                case TaskCanceledException:
                    return "timeout";
                default:
                    break;
            }
        }

        return "protocol";
    }

    public static readonly IReadOnlyList<string> Reasons = ["connect_refused", "connect_timeout", "tls", "timeout", "reset", "protocol"];
}
