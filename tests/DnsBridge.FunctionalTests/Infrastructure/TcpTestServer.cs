using System.Net;
using System.Net.Sockets;

namespace DnsBridge.FunctionalTests.Infrastructure;

/// <summary>
/// A real TCP server on loopback standing in for a non-HTTP target (SMTP, a database, a raw sink): every accepted
/// connection runs <c>handle</c>; it counts what it accepted.
/// </summary>
internal sealed class TcpTestServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Func<Socket, Task> _handle;
    private readonly Task _accepting;
    private int _accepted;

    private TcpTestServer(Func<Socket, Task> handle, string address)
    {
        _handle = handle;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        _listener.Listen(512);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    public IPEndPoint EndPoint { get; }

    public string Address => EndPoint.Address.ToString();

    public int Port => EndPoint.Port;

    public int Accepted => Volatile.Read(ref _accepted);

    public static TcpTestServer Start(Func<Socket, Task> handle, string address = "127.0.0.1") => new(handle, address);

    /// <summary>A free port on a loopback address, for a port forward's <c>Listen</c> (bound and released at once).</summary>
    public static IPEndPoint FreeEndPoint(string address = "127.0.0.1")
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>Reads until the peer's end of stream (or the limit); returns what was read.</summary>
    public static async Task<byte[]> ReadToEndAsync(Socket socket, int limit = 16 * 1024 * 1024, CancellationToken cancellationToken = default)
    {
        var output = new MemoryStream();
        var buffer = new byte[65536];
        while (output.Length < limit)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                break;
            }

            output.Write(buffer, 0, n);
        }

        return output.ToArray();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _ = Task.Run(async () =>
            {
                using (socket)
                {
                    try
                    {
                        await _handle(socket);
                    }
                    catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
                    {
                        // The test asserts on what the client saw.
                    }
                }
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _accepting;
    }
}
