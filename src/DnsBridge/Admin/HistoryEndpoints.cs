using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>
/// The series behind the cutover page's charts, read from the state store: <c>/api/cutovers/{name}/residual</c> and
/// <c>/api/cutovers/{name}/propagation</c>, each with <c>?range=1h|24h|7d</c>. Under <c>/api</c>, so the admin token applies.
/// </summary>
internal static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/cutovers/{name}/residual", async (string name, string? range, ConfigMonitor config, IResidualHistory history, TimeProvider time) =>
        {
            if (Resolve(name, range, config) is not ({ } cutover, { } span))
            {
                return Problem(name, range, config);
            }

            var now = time.GetUtcNow();
            var points = HistorySeries.Residual(await StateThreads.Run(() => history.Minutes(cutover.Name)), span, now);
            return TypedResults.Ok(new ResidualSeriesDocument(cutover.Name, span.Name, span.BucketMinutes, now - span.Span, now, points.Sum(p => p.Count), points));
        });
        endpoints.MapGet("/api/cutovers/{name}/propagation", async (string name, string? range, ConfigMonitor config, IPropagationHistory history, DrainDetector drain, TimeProvider time) =>
        {
            if (Resolve(name, range, config) is not ({ } cutover, { } span))
            {
                return Problem(name, range, config);
            }

            var now = time.GetUtcNow();
            var status = drain.Status(cutover.Name);
            return TypedResults.Ok(new PropagationSeriesDocument(cutover.Name, span.Name, now - span.Span, now, status?.DnsSwitchedAt, status?.PropagationCompleteAt,
                HistorySeries.Share(await StateThreads.Run(() => history.Changes(cutover.Name)), span, now)));
        });
        return endpoints;
    }

    private static (CutoverConfig? Cutover, HistoryRange? Range) Resolve(string name, string? range, ConfigMonitor config) =>
        (config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)), HistoryRange.Parse(range));

    private static IResult Problem(string name, string? range, ConfigMonitor config) =>
        HistoryRange.Parse(range) is null
            ? TypedResults.BadRequest(new ApiError($"unknown range '{range}': use {HistoryRange.Names}"))
            : ApiEndpoints.NotFound(name);
}
