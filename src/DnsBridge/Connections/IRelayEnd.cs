namespace DnsBridge.Connections;

/// <summary>
/// One side of a relayed connection as <see cref="ForwardedConnection"/> sees it. Errors surface as
/// <see cref="System.Net.Sockets.SocketException"/> or <see cref="ObjectDisposedException"/>, as a socket's do, so
/// the relay can be exercised in memory with the same error handling it has on the wire.
/// </summary>
internal interface IRelayEnd : IDisposable
{
    /// <summary>Completes when bytes (or the end of stream) can be read, without holding a buffer.</summary>
    ValueTask WaitForDataAsync();

    /// <summary>Reads what is there into <paramref name="buffer"/>; 0 at the end of stream.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer);

    /// <summary>Sends all of <paramref name="data"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data);

    /// <summary>Ends the sending direction with a FIN; receiving goes on.</summary>
    void ShutdownSend();

    /// <summary>Ends both directions with a FIN; an end already gone is not an error.</summary>
    void Shutdown();
}
