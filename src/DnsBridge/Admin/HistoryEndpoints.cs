using DnsBridge.Configuration;
using DnsBridge.Drain;
using DnsBridge.State;

namespace DnsBridge.Admin;

/// <summary>
/// The series behind the cutover page's charts, read from the state store: <c>/api/cutovers/{name}/residual</c> and
/// <c>/api/cutovers/{name}/propagation</c>, each with <c>?range=1h|24h|7d</c>. Under <c>/api</c>, so the admin token applies.
/// </summary>
public static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/api/cutovers/{name}/residual", (string name, string? range, ConfigMonitor config, IResidualHistory history, TimeProvider time) =>
        {
            if (Resolve(name, range, config) is not ({ } cutover, { } span))
            {
                return Problem(name, range, config);
            }

            var now = time.GetUtcNow();
            var points = HistorySeries.Residual(history.Minutes(cutover.Name), span, now);
            return Results.Json(new
            {
                cutover = cutover.Name,
                range = span.Name,
                bucketMinutes = span.BucketMinutes,
                from = now - span.Span,
                to = now,
                total = points.Sum(p => p.Count),
                points = points.Select(p => new { at = p.At, count = p.Count }),
            });
        });
        endpoints.MapGet("/api/cutovers/{name}/propagation", (string name, string? range, ConfigMonitor config, IPropagationHistory history, DrainDetector drain, TimeProvider time) =>
        {
            if (Resolve(name, range, config) is not ({ } cutover, { } span))
            {
                return Problem(name, range, config);
            }

            var now = time.GetUtcNow();
            var status = drain.Status(cutover.Name);
            return Results.Json(new
            {
                cutover = cutover.Name,
                range = span.Name,
                from = now - span.Span,
                to = now,
                dnsSwitchedAt = status?.DnsSwitchedAt,
                propagationCompleteAt = status?.PropagationCompleteAt,
                points = HistorySeries.Share(history.Changes(cutover.Name), span, now)
                    .Select(p => new { at = p.At, ratio = p.Ratio, target = p.Target, answering = p.Answering }),
            });
        });
        return endpoints;
    }

    private static (CutoverConfig? Cutover, HistoryRange? Range) Resolve(string name, string? range, ConfigMonitor config) =>
        (config.Current.Cutovers.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)), HistoryRange.Parse(range));

    private static IResult Problem(string name, string? range, ConfigMonitor config) =>
        HistoryRange.Parse(range) is null
            ? Results.Json(new { error = $"unknown range '{range}': use {HistoryRange.Names}" }, statusCode: StatusCodes.Status400BadRequest)
            : ApiEndpoints.NotFound(name);
}
