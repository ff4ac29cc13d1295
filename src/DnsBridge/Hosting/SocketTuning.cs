namespace DnsBridge.Hosting;

/// <summary>
/// Socket completions run inline on the epoll threads instead of hopping to the thread pool: on a small source
/// host, where the load balancer, the proxy and often the old application share a few cores, the hop per read and
/// write is the largest cost left after YARP itself (measured side by side: +9 % at 64 connections, +18-37 % at
/// 256; docs/performance.md). The price is that code running after a socket completes must not block, so the few
/// places that touch SQLite after network I/O (admin endpoints, propagation listeners, webhook outcomes) move to the
/// thread pool first. <c>serve</c> only; an explicit <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c> wins.
/// </summary>
internal static class SocketTuning
{
    public const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Must run before the first socket of the process is created (the runtime reads it once).</summary>
    public static void PreferInlineCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }
}
