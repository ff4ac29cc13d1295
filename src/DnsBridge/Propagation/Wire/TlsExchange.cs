using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using DnsBridge.Configuration;

namespace DnsBridge.Propagation.Wire;

/// <summary>
/// DNS over TLS (RFC 7858) to one server: the certificate validated for the configured name (RFC 8310 strict
/// profile, system trust plus an optional CaFile), ALPN "dot", one connection kept open and reused so that the
/// answers come from one anycast site, questions one at a time; a reused connection the server closed is replaced
/// once. Never falls back to port 53: that would leak the question and change the vantage.
/// </summary>
internal sealed class TlsExchange(IPEndPoint server, string name, string? caFile) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RemoteCertificateValidationCallback _validate = CaFileTrust.Validator(caFile);
    private TcpClient? _client;
    private SslStream? _stream;

    public async Task<byte[]> ExchangeAsync(byte[] query, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var reused = _stream is not null;
                try
                {
                    _stream ??= await ConnectAsync(cancellationToken);
                    return await StreamExchange.ExchangeAsync(_stream, query, cancellationToken);
                }
                catch (AuthenticationException e)
                {
                    Close();
                    throw new DnsTransportException(DnsFailureReason.Network, $"TLS handshake with {server} for {name} failed: {e.GetBaseException().Message}", e);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                {
                    Close();
                    if (!reused || attempt > 0)
                    {
                        throw new DnsTransportException(DnsFailureReason.Network, $"DNS over TLS to {server}: {e.GetBaseException().Message}", e);
                    }
                }
                catch (OperationCanceledException)
                {
                    // Half a message may be on the wire: the connection's state is unknown.
                    Close();
                    throw;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<SslStream> ConnectAsync(CancellationToken cancellationToken)
    {
        _client = new TcpClient(server.AddressFamily) { NoDelay = true };
        await _client.ConnectAsync(server, cancellationToken);
        var stream = new SslStream(_client.GetStream(), leaveInnerStreamOpen: false, _validate);
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = name,
            ApplicationProtocols = [new SslApplicationProtocol("dot")],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = CaFileTrust.RevocationMode,
        }, cancellationToken);
        return stream;
    }

    private void Close()
    {
        _stream?.Dispose();
        _client?.Dispose();
        _stream = null;
        _client = null;
    }

    public ValueTask DisposeAsync()
    {
        Close();
        _gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
