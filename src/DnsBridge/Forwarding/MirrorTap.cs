using DnsBridge.Mirror;

namespace DnsBridge.Forwarding;

/// <summary>
/// Where the rehearsal path meets the mirror. <see cref="Begin"/> runs before the request goes to the source and
/// costs one field read when mirroring is off; with it on, the dice are cast (<see cref="MirrorEngine.Sample"/>)
/// before anything is captured. <see cref="End"/> runs once the source's answer was forwarded: it hands the
/// captured exchange to the engine, which sends the copies in the background and returns at once.
/// </summary>
internal static class MirrorTap
{
    public static MirrorCapture? Begin(HttpContext context, HostRoute route, MirrorRegistry mirrors, bool isWebSocket, long start)
    {
        if (!route.Cutover.Config.Mirror.Enabled || isWebSocket)
        {
            return null;
        }

        var engine = mirrors.Find(route.Cutover.Name);
        return engine is not null && engine.Sample(context.Request.Method) && engine.TryReserve()
            ? MirrorCapture.Begin(context, engine, start)
            : null;
    }

    /// <param name="forwarded">The source answered and the answer reached the client whole.</param>
    /// <param name="source">The source backend's invoker and URI prefix, for the noise answers.</param>
    public static void End(MirrorCapture capture, HostRoute route, bool forwarded, HttpMessageInvoker? source, string? sourcePrefix)
    {
        var exchange = capture.End(forwarded, out var why);
        var engine = capture.Engine;
        if (exchange is null)
        {
            engine.Release();
            // A failed source answer has nothing to compare with; only requests the mirror could not carry count.
            if (forwarded)
            {
                engine.Drop(why);
            }

            return;
        }

        var cutover = route.Cutover;
        var endpoints = new MirrorEndpoints(
            cutover.Invoker,
            route.DestinationPrefix,
            cutover.RequestConfig.Version ?? System.Net.HttpVersion.Version11,
            cutover.RequestConfig.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
            cutover.Config.Target.Timeout,
            source,
            sourcePrefix);
        engine.Dispatch(exchange, endpoints, reserved: true);
    }
}
