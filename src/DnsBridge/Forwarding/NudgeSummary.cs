namespace DnsBridge.Forwarding;

/// <summary>The API's and the report's view of one cutover's nudging.</summary>
internal sealed record NudgeSummary(long Http1, long Http2, long WebSocket, long Tcp, int ClientsNudged, int ClientsStillArriving)
{
    public int ClientsStopped => ClientsNudged - ClientsStillArriving;
}
