using System.Net;
using System.Net.Sockets;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// Clients that use real host names in their URIs (so Host, :authority and WebSocket handshakes are what a browser
/// would send) while every connection is dialled to a loopback endpoint, like a client whose stale DNS still
/// answers with the source address.
/// </summary>
internal static class LoopbackClient
{
    public static SocketsHttpHandler Handler(IPEndPoint endPoint, Action? onConnect = null) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectCallback = async (_, ct) =>
        {
            onConnect?.Invoke();
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    public static HttpClient Create(IPEndPoint endPoint, TimeSpan? timeout = null) =>
        new(Handler(endPoint)) { Timeout = timeout ?? TimeSpan.FromSeconds(30) };

    /// <summary>
    /// Sends one HTTP/1.1 request on a connection the caller keeps open (keep-alive) and reads the response up to
    /// its body <paramref name="body"/>, sized or chunked.
    /// </summary>
    public static async Task<string> ExchangeAsync(NetworkStream stream, string request, string body = "ok")
    {
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var buffer = new byte[4096];
        var text = new System.Text.StringBuilder();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!text.ToString().EndsWith(body, StringComparison.Ordinal) && !text.ToString().EndsWith(body + "\r\n0\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0)
            {
                break;
            }

            text.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        }

        return text.ToString();
    }

    /// <summary>Sends raw bytes and returns everything the server answers until it closes or goes quiet.</summary>
    public static async Task<string> RawAsync(IPEndPoint endPoint, string request, TimeSpan? quiet = null)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(request));
        var buffer = new byte[65536];
        var received = new System.Text.StringBuilder();
        using var cts = new CancellationTokenSource(quiet ?? TimeSpan.FromSeconds(3));
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0)
                {
                    break;
                }

                received.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
        }

        return received.ToString();
    }
}
