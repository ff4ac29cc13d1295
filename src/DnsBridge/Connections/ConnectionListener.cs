using System.Net;
using System.Net.Sockets;

namespace DnsBridge.Connections;

/// <summary>
/// A raw TCP accept loop on one endpoint. Not a Kestrel endpoint: Kestrel's endpoints are fixed at start (port
/// forwards come and go on reload) and its socket transport cannot half-close (completing the output shuts
/// down both directions, dotnet/aspnetcore#14937), which a byte relay must.
/// </summary>
internal sealed class ConnectionListener : IDisposable
{
    private readonly Socket _socket;
    private readonly Func<Socket, ConnectionListener, Task> _handle;
    private int _open;

    public ConnectionListener(IPEndPoint endpoint, long maxConnections, Func<Socket, ConnectionListener, Task> handle)
    {
        _handle = handle;
        MaxConnections = maxConnections;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                _socket.DualMode = true;
            }

            _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _socket.Bind(endpoint);
            _socket.Listen(512);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Configured = endpoint;
    }

    /// <summary>The endpoint as configured (routes are keyed by it).</summary>
    public IPEndPoint Configured { get; }

    /// <summary>Where it is bound (the real port when configured as 0).</summary>
    public IPEndPoint EndPoint { get; }

    public long MaxConnections { get; }

    /// <summary>Counts one more open connection; false (and not counted) when the limit is reached.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _open) <= MaxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _open);

    /// <summary>Accepts until disposed; each connection is handled on its own, never awaited here.</summary>
    public async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown or SocketError.InvalidArgument)
            {
                return;
            }
            catch (SocketException)
            {
                // Out of descriptors or a connection reset before accept: keep accepting, without spinning.
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }

            _ = _handle(client, this);
        }
    }

    /// <summary>Stops accepting; connections already accepted are not touched.</summary>
    public void Dispose() => _socket.Dispose();
}
