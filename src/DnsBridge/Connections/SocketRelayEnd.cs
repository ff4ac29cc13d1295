using System.Net.Sockets;

namespace DnsBridge.Connections;

/// <summary>A relay side on a connected TCP socket.</summary>
internal sealed class SocketRelayEnd(Socket socket) : IRelayEnd
{
    public ValueTask WaitForDataAsync() => ToValueTask(socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None));

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer) => socket.ReceiveAsync(buffer, SocketFlags.None);

    public ValueTask SendAsync(ReadOnlyMemory<byte> data) => SendAllAsync(socket, data);

    public void ShutdownSend() => socket.Shutdown(SocketShutdown.Send);

    public void Shutdown()
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already gone: nothing to tell.
        }
    }

    public void Dispose() => socket.Dispose();

    internal static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var sent = await socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[sent..];
        }
    }

    private static async ValueTask ToValueTask(ValueTask<int> receive) => await receive.ConfigureAwait(false);
}
